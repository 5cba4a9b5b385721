import { arch } from 'node:os';
import { VigilError } from '../../core/errors.ts';
import type { Platform } from '../../core/types.ts';

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** Variants an architecture has when none is written (containerd platforms.Normalize). */
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

export function platformMatches(candidate: Platform, wanted: Platform): boolean {
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  if (!wanted.variant) return true;
  const variant = candidate.variant || DEFAULT_VARIANT[candidate.architecture];
  return variant === wanted.variant;
}

export interface PlatformCandidate<T> {
  readonly platform?: Platform;
  readonly item: T;
}

/**
 * Picks the manifest for a platform from an index. Attestation entries (platform unknown/unknown,
 * as buildx writes them) never match. With no variant asked, an entry without variant or with the
 * architecture's default variant wins over others (arm64 -> v8, not an arm64/v9 sibling).
 */
export function selectPlatform<T>(candidates: readonly PlatformCandidate<T>[], wanted: Platform, where: string): T {
  const matching = candidates.filter((c) => c.platform && platformMatches(c.platform, wanted));
  if (matching.length > 0) {
    const preferred = wanted.variant
      ? undefined
      : matching.find((c) => !c.platform?.variant || c.platform.variant === DEFAULT_VARIANT[c.platform.architecture]);
    return (preferred ?? matching[0]!).item;
  }
  const available = candidates
    .map((c) => (c.platform ? formatPlatform(c.platform) : 'unspecified'))
    .filter((p) => p !== 'unknown/unknown');
  throw new VigilError(
    'VIGIL_PLATFORM_NOT_FOUND',
    `${where} has no manifest for ${formatPlatform(wanted)}; available: ${available.join(', ') || 'none'}`,
    { wanted: formatPlatform(wanted), available },
  );
}

/** The host's platform in OCI terms (GOOS/GOARCH names), for `dir:` sources. */
export function hostPlatform(nodePlatform: string = process.platform, nodeArch: string = arch()): Platform {
  const os = nodePlatform === 'win32' ? 'windows' : nodePlatform;
  const architecture =
    (
      {
        x64: 'amd64',
        ia32: '386',
        ppc64: nodePlatform === 'aix' ? 'ppc64' : 'ppc64le',
        mipsel: 'mipsle',
        mips64el: 'mips64le',
      } as Record<string, string>
    )[nodeArch] ?? nodeArch;
  const variant =
    architecture === 'arm' ? `v${(process.config.variables as Record<string, unknown>).arm_version ?? '7'}` : undefined;
  return { os, architecture, ...(variant ? { variant } : {}) };
}
