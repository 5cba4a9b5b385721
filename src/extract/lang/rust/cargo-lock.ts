/**
 * Cargo.lock, every format Cargo has written (cargo src/cargo/core/resolver/encode.rs):
 * - v1 (no `version` key): `[[package]]` tables whose `dependencies` read "name version (source)",
 *   checksums apart in `[metadata]`, and in the oldest files the root package in its own `[root]`;
 * - v2 (`version` absent or 2 in practice), v3 (`version = 3`), v4 (`version = 4`): dependencies read
 *   "name", "name version" or "name version (source)", the version and source only where needed to
 *   tell two packages of the same name apart.
 * Packages without `source` are the workspace's own (members and path dependencies).
 */
import { parse } from 'smol-toml';
import { z } from 'zod';

export interface LockedPackage {
  readonly name: string;
  readonly version: string;
  readonly source?: string;
  /** references as written: "name", "name version" or "name version (source)" */
  readonly dependencies: readonly string[];
  /** the `[root]` table of a v1 file */
  readonly fromRootTable: boolean;
}

export interface CargoLock {
  readonly version?: number;
  readonly packages: LockedPackage[];
  /** problems with single entries; the others were read */
  readonly problems: string[];
}

/** a TOML document that is no Cargo.lock at all */
export class CargoLockError extends Error {}

const MAX_PACKAGES = 100_000;

const entrySchema = z.object({
  name: z.string().min(1).max(1024),
  version: z.string().min(1).max(1024),
  source: z.string().max(4096).optional(),
  dependencies: z.array(z.string().max(8192)).max(MAX_PACKAGES).optional(),
});

const lockSchema = z.object({
  version: z.number().int().optional(),
  package: z.array(z.unknown()).optional(),
  root: z.unknown().optional(),
});

export function parseCargoLock(text: string): CargoLock {
  let document: unknown;
  try {
    document = parse(text, { maxDepth: 16 });
  } catch (err) {
    throw new CargoLockError(`not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  const lock = lockSchema.safeParse(document);
  if (!lock.success) throw new CargoLockError('"version" or "package" has the wrong type');
  const problems: string[] = [];
  const packages: LockedPackage[] = [];
  const take = (raw: unknown, where: string, fromRootTable: boolean): void => {
    const entry = entrySchema.safeParse(raw);
    if (!entry.success) {
      problems.push(`${where}: no usable name and version`);
      return;
    }
    const { name, version, source, dependencies } = entry.data;
    packages.push({ name, version, ...(source ? { source } : {}), dependencies: dependencies ?? [], fromRootTable });
  };
  if (lock.data.root !== undefined) take(lock.data.root, '[root]', true);
  const entries = lock.data.package ?? [];
  if (entries.length > MAX_PACKAGES) problems.push(`${entries.length} packages, only the first ${MAX_PACKAGES} read`);
  entries.slice(0, MAX_PACKAGES).forEach((raw, i) => {
    take(raw, `[[package]] #${i + 1}`, false);
  });
  return { ...(lock.data.version !== undefined ? { version: lock.data.version } : {}), packages, problems };
}

/** "name", "name version", "name version (source)" */
export function parseDependencyRef(ref: string): { name: string; version?: string } {
  const [name = '', version] = ref.trim().split(/\s+/);
  return version === undefined ? { name } : { name, version };
}

/** [package].name of a Cargo.toml; undefined for a virtual workspace manifest or a file that does not parse */
export function manifestPackageName(text: string): string | undefined {
  try {
    const manifest = z.object({ package: z.object({ name: z.string() }) }).safeParse(parse(text, { maxDepth: 16 }));
    return manifest.success ? manifest.data.package.name : undefined;
  } catch {
    return undefined;
  }
}
