/**
 * lang/python: installed distributions from core metadata (`*.dist-info/METADATA`,
 * `*.egg-info/PKG-INFO`, `*.egg-info` files) in any site-packages or dist-packages, and the
 * lockfiles poetry.lock, Pipfile.lock, uv.lock and pinned requirements*.txt. After syft
 * syft/pkg/cataloger/python and trivy pkg/dependency/parser/python.
 */
import type { Package } from '../../../core/types.ts';
import { WarningLog } from '../../os/dpkg/text-lines.ts';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';
import { type LockParse, parsePipfileLock, parsePoetryLock } from './lockfiles.ts';
import { parseCoreMetadata } from './metadata.ts';
import { classify, dirname, isProjectManifest } from './paths.ts';
import { plausibleVersion, pypiPackage, validName } from './pypi-package.ts';
import { readProject } from './pyproject.ts';
import { parseRequirements } from './requirements.ts';
import { parseUvLock } from './uv-lock.ts';

const MAX_METADATA = 16 * 1024 * 1024;
const MAX_LOCKFILE = 64 * 1024 * 1024;

type Read = { ok: true; text: string } | { ok: false; warning: string };

async function readText(input: ExtractInput, limit: number): Promise<Read> {
  try {
    return { ok: true, text: (await input.read(limit)).toString('utf8') };
  } catch (err) {
    return { ok: false, warning: `cannot read ${input.path}: ${(err as Error).message}` };
  }
}

function installed(input: ExtractInput, text: string): ExtractResult {
  // an empty egg-info file is what some distro packages leave behind; nothing to say about it
  if (text.trim() === '') return { packages: [], warnings: [] };
  const metadata = parseCoreMetadata(text);
  if (!validName(metadata.name) || !plausibleVersion(metadata.version)) {
    return { packages: [], warnings: [`${input.path}: no valid Name and Version in the metadata`] };
  }
  const pkg = pypiPackage({
    name: metadata.name,
    version: metadata.version,
    location: input.path,
    licenses: metadata.licenses,
  });
  return { packages: [pkg], warnings: [] };
}

function fromLock(input: ExtractInput, parse: LockParse): ExtractResult {
  const warnings = new WarningLog();
  for (const warning of parse.warnings) warnings.add(`${input.path}: ${warning}`);
  const packages: Package[] = parse.packages.map((p) => pypiPackage({ ...p, location: p.location ?? input.path }));
  return { packages, warnings: warnings.toArray() };
}

function pipfileLock(input: ExtractInput, text: string): ExtractResult {
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch (err) {
    return { packages: [], warnings: [`${input.path}: invalid JSON: ${(err as Error).message}`] };
  }
  if (lock === null || typeof lock !== 'object' || Array.isArray(lock)) {
    return { packages: [], warnings: [`${input.path}: not a JSON object`] };
  }
  return fromLock(input, parsePipfileLock(lock as Record<string, unknown>));
}

export const pythonExtractor = {
  name: 'lang/python',
  version: 1,

  required(path: string): boolean {
    return classify(path) !== undefined;
  },

  /** a project's pyproject.toml, read beside its poetry.lock for direct and dev flags */
  wants(path: string): boolean {
    return isProjectManifest(path);
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    const kind = classify(input.path);
    if (kind === undefined) return { packages: [], warnings: [] };
    const read = await readText(input, kind === 'metadata' ? MAX_METADATA : MAX_LOCKFILE);
    if (!read.ok) return { packages: [], warnings: [read.warning] };
    switch (kind) {
      case 'metadata':
        return installed(input, read.text);
      case 'poetry-lock':
        return fromLock(input, parsePoetryLock(read.text, await readProject(input.fs, dirname(input.path))));
      case 'uv-lock':
        return fromLock(input, parseUvLock(read.text));
      case 'pipfile-lock':
        return pipfileLock(input, read.text);
      case 'requirements': {
        const packages = parseRequirements(read.text).map((r) =>
          pypiPackage({ name: r.name, version: r.version, location: input.path }),
        );
        return { packages, warnings: [] };
      }
    }
  },
} satisfies Extractor;
