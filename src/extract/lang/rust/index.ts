/**
 * lang/rust: crates from `Cargo.lock` (every lockfile format, see cargo-lock.ts) and from binaries
 * built with cargo-auditable (the `.dep-v0` section, see auditable.ts). After osv-scalibr
 * extractor/filesystem/language/rust/{cargolock,cargoauditable} and Syft's rust catalogers. An
 * executable without audit data is passed over quietly: that is most executables.
 */
import { posix } from 'node:path';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';
import { ExecutableFormatError } from '../go/executable.ts';
import { isExecutableCandidate, withFile } from '../go/file-access.ts';
import { AuditDataError, readAuditData } from './auditable.ts';
import { CargoLockError, manifestPackageName, parseCargoLock } from './cargo-lock.ts';
import { auditPackages, lockfilePackages } from './packages.ts';

const MAX_LOCKFILE_BYTES = 32 << 20;
const MAX_MANIFEST_BYTES = 1 << 20;
/** cargo's download caches and vendored sources hold other crates' files, not the application's */
const NOT_APPLICATION = /(?:^|\/)(?:\.cargo\/(?:registry|git)|vendor)\//;

function isNamed(path: string, name: 'Cargo.lock' | 'Cargo.toml'): boolean {
  return (path === name || path.endsWith(`/${name}`)) && !NOT_APPLICATION.test(path);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function extractLockfile(input: ExtractInput): Promise<ExtractResult> {
  let text: string;
  try {
    text = (await input.read(MAX_LOCKFILE_BYTES)).toString('utf8');
  } catch (err) {
    return { packages: [], warnings: [`cannot read ${input.path}: ${errorMessage(err)}`] };
  }
  let lock: ReturnType<typeof parseCargoLock>;
  try {
    lock = parseCargoLock(text);
  } catch (err) {
    if (err instanceof CargoLockError) return { packages: [], warnings: [`Cargo.lock ${err.message}`] };
    throw err;
  }
  const manifestPath = posix.join(posix.dirname(input.path), 'Cargo.toml');
  const manifest = await input.fs.readFile(manifestPath, MAX_MANIFEST_BYTES).catch(() => undefined);
  const rootName = manifest ? manifestPackageName(manifest.toString('utf8')) : undefined;
  return {
    packages: lockfilePackages(lock.packages, rootName, input.path),
    warnings: lock.problems.map((problem) => `Cargo.lock ${problem}`),
  };
}

async function extractBinary(input: ExtractInput): Promise<ExtractResult> {
  try {
    const result = await withFile(await input.localPath(), readAuditData);
    if (result.kind !== 'audit') return { packages: [], warnings: [] };
    return { packages: auditPackages(result.data, input.path), warnings: [] };
  } catch (err) {
    if (err instanceof AuditDataError)
      return { packages: [], warnings: [`cargo-auditable data unreadable: ${err.message}`] };
    // headers that parse as no known format: nothing says this was a Rust binary
    if (err instanceof ExecutableFormatError) return { packages: [], warnings: [] };
    return { packages: [], warnings: [`cannot read ${input.path}: ${errorMessage(err)}`] };
  }
}

export const rustExtractor = {
  name: 'lang/rust',
  version: 1,

  required(path: string, size: number, mode: number): boolean {
    return isNamed(path, 'Cargo.lock') || isExecutableCandidate(path, size, mode);
  },

  /** the Cargo.toml beside a Cargo.lock names the workspace's root package */
  wants(path: string): boolean {
    return isNamed(path, 'Cargo.toml');
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    return isNamed(input.path, 'Cargo.lock') ? extractLockfile(input) : extractBinary(input);
  },
} satisfies Extractor;
