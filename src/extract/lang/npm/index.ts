/**
 * lang/npm: JavaScript packages. Installed packages from every `node_modules/<name>/package.json`
 * (nested, scoped, pnpm's `.pnpm` store); the application's own package.json, marked `root`;
 * package-lock.json v1–v3, yarn.lock (v1 and berry) and pnpm-lock.yaml v5–v9 where no node_modules
 * tree is installed beside them (an installed tree is the truth; a lockfile is only a plan); and
 * Node.js itself from a `bin/node` executable. After syft syft/pkg/cataloger/javascript and trivy
 * pkg/dependency/parser/nodejs.
 */
import { purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import { WarningLog } from '../../os/dpkg/text-lines.ts';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';
import { installedFlags, isWorkspaceMember } from './app-context.ts';
import type { LockParse } from './lock-entry.ts';
import { declaredDependencies, hasNodeModules, parseJsonObject, readManifest } from './manifest.ts';
import { scanNodeBinary } from './node-binary.ts';
import { licensesOf, npmPackage, plausibleName, plausibleVersion } from './npm-package.ts';
import { parsePackageLock } from './package-lock.ts';
import { classify, dirname, isHiddenLockfile, join, LOCKFILE_NAMES } from './paths.ts';
import { parsePnpmLock } from './pnpm-lock.ts';
import { parseYarnLock } from './yarn-lock.ts';

const MAX_MANIFEST = 16 * 1024 * 1024;
const MAX_LOCKFILE = 64 * 1024 * 1024;

type Read = { ok: true; text: string } | { ok: false; warning: string };

async function readText(input: ExtractInput, limit: number): Promise<Read> {
  try {
    return { ok: true, text: (await input.read(limit)).toString('utf8') };
  } catch (err) {
    return { ok: false, warning: `cannot read ${input.path}: ${(err as Error).message}` };
  }
}

async function installed(input: ExtractInput): Promise<ExtractResult> {
  const read = await readText(input, MAX_MANIFEST);
  if (!read.ok) return { packages: [], warnings: [read.warning] };
  const parsed = parseJsonObject(read.text);
  if (!parsed.ok) return { packages: [], warnings: [`${input.path}: ${parsed.error}`] };
  const { name, version } = parsed.value;
  if (!plausibleName(name) || !plausibleVersion(version)) {
    return { packages: [], warnings: [`${input.path}: no valid "name" and "version", not a package`] };
  }
  const licenses = licensesOf(parsed.value);
  const flags = await installedFlags(input.fs, input.path);
  return { packages: [npmPackage({ name, version, location: input.path, licenses, ...flags })], warnings: [] };
}

async function besideLockfile(input: ExtractInput, dir: string): Promise<boolean> {
  for (const name of LOCKFILE_NAMES) if (await input.fs.stat(join(dir, name))) return true;
  return false;
}

/**
 * A package.json outside node_modules is the application's own when it sits beside a lockfile or an
 * installed tree, or is one of the workspaces of such an application.
 */
async function manifest(input: ExtractInput): Promise<ExtractResult> {
  const dir = dirname(input.path);
  const read = await readText(input, MAX_MANIFEST);
  const parsed = read.ok ? parseJsonObject(read.text) : undefined;
  const declared = parsed?.ok ? declaredDependencies(parsed.value) : undefined;
  const names = declared ? [...declared.prod.keys(), ...declared.dev.keys()] : [];
  const isRoot =
    (await besideLockfile(input, dir)) ||
    (await hasNodeModules(input.fs, dir, names)) ||
    (await isWorkspaceMember(input.fs, dir));
  // a stray broken package.json elsewhere (a test fixture, a template) is none of our business
  if (!isRoot) return { packages: [], warnings: [] };
  if (!read.ok) return { packages: [], warnings: [read.warning] };
  if (!parsed?.ok) return { packages: [], warnings: [`${input.path}: ${parsed?.error}`] };
  const { name, version } = parsed.value;
  // applications are often unnamed or unversioned ("private": true); nothing to report then
  if (!plausibleName(name) || !plausibleVersion(version)) return { packages: [], warnings: [] };
  const licenses = licensesOf(parsed.value);
  return { packages: [npmPackage({ name, version, location: input.path, licenses, root: true })], warnings: [] };
}

async function lockfile(input: ExtractInput, kind: 'package-lock' | 'yarn-lock' | 'pnpm-lock'): Promise<ExtractResult> {
  const dir = dirname(input.path);
  const read = await readText(input, MAX_LOCKFILE);
  if (!read.ok) return { packages: [], warnings: [read.warning] };
  const app = await readManifest(input.fs, dir);
  const declared = app ? declaredDependencies(app) : undefined;
  let parse: LockParse;
  if (kind === 'package-lock') {
    const parsed = parseJsonObject(read.text);
    if (!parsed.ok) return { packages: [], warnings: [`${input.path}: ${parsed.error}`] };
    parse = parsePackageLock(parsed.value, declared && new Set([...declared.prod.keys(), ...declared.dev.keys()]));
  } else if (kind === 'yarn-lock') {
    parse = parseYarnLock(read.text, declared);
  } else {
    parse = parsePnpmLock(read.text);
  }
  const names = [...(declared?.prod.keys() ?? []), ...(declared?.dev.keys() ?? []), ...parse.topLevelNames];
  if (await hasNodeModules(input.fs, dir, names)) return { packages: [], warnings: [] };
  const warnings = new WarningLog();
  for (const warning of parse.warnings) warnings.add(`${input.path}: ${warning}`);
  const entries = [];
  for (const entry of parse.entries) {
    // a workspace member with its package.json present is reported from that file, as the app's own
    if (
      entry.workspacePath !== undefined &&
      (await input.fs.stat(join(join(dir, entry.workspacePath), 'package.json')))
    )
      continue;
    entries.push(entry);
  }
  const packages = entries.map((entry) =>
    npmPackage({
      name: entry.name,
      version: entry.version,
      location: input.path,
      ...(entry.licenses ? { licenses: entry.licenses } : {}),
      ...(entry.root ? { root: true } : {}),
      ...(entry.direct !== undefined ? { direct: entry.direct } : {}),
      ...(entry.dev !== undefined ? { dev: entry.dev } : {}),
    }),
  );
  return { packages, warnings: warnings.toArray() };
}

async function nodeBinary(input: ExtractInput): Promise<ExtractResult> {
  let scan: Awaited<ReturnType<typeof scanNodeBinary>>;
  try {
    scan = await scanNodeBinary(await input.localPath());
  } catch (err) {
    return { packages: [], warnings: [`cannot read ${input.path}: ${(err as Error).message}`] };
  }
  if (!scan.version) {
    // a script or an unrelated program called "node" is no finding; an executable without a version is
    return { packages: [], warnings: scan.executable ? [`${input.path}: no Node.js version found in the binary`] : [] };
  }
  const node: Package = {
    type: 'generic',
    name: 'node',
    version: scan.version,
    purl: purl('generic', undefined, 'node', scan.version),
    locations: [input.path],
  };
  return { packages: [node], warnings: [] };
}

export const npmExtractor = {
  name: 'lang/npm',
  version: 1,

  required(path: string, _size: number, mode: number): boolean {
    return classify(path, mode) !== undefined;
  },

  /** npm's hidden lockfile, read for the dev flag of installed packages */
  wants(path: string): boolean {
    return isHiddenLockfile(path);
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    const kind = classify(input.path, input.mode);
    switch (kind) {
      case 'installed':
        return installed(input);
      case 'manifest':
        return manifest(input);
      case 'package-lock':
      case 'yarn-lock':
      case 'pnpm-lock':
        return lockfile(input, kind);
      case 'node-binary':
        return nodeBinary(input);
      default:
        return { packages: [], warnings: [] };
    }
  },
} satisfies Extractor;
