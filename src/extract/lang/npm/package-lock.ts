/**
 * package-lock.json / npm-shrinkwrap.json (npm docs, "package-lock.json"): lockfileVersion 1 keeps a
 * nested `dependencies` tree; 2 keeps that and a flat `packages` map keyed by install path; 3 keeps
 * only `packages`. Each entry records `version`, `dev`, `optional`, `license`, `link`, `name`.
 */
import { valid as validSemver } from 'semver';
import { LockEntries, type LockParse } from './lock-entry.ts';
import { declaredDependencies } from './manifest.ts';
import { licensesOf, plausibleName, plausibleVersion } from './npm-package.ts';

const MAX_DEPTH = 256;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** "node_modules/a/node_modules/@s/b" → "@s/b"; "" when the path is no install path */
export function nameFromInstallPath(path: string): string {
  const marker = path.lastIndexOf('node_modules/');
  if (marker === -1 || (marker > 0 && path[marker - 1] !== '/')) return '';
  return path.slice(marker + 'node_modules/'.length);
}

/** Registry versions are semver; git, file and tarball references are not versions to match on. */
function registryVersion(version: unknown): string | undefined {
  return plausibleVersion(version) && validSemver(version, { loose: true }) !== null ? version : undefined;
}

/** v1 aliases: `"alias": { "version": "npm:real@1.2.3" }` (npm install alias@npm:real@1.2.3). */
function unalias(name: string, version: string): [string, string] {
  if (!version.startsWith('npm:')) return [name, version];
  const spec = version.slice(4);
  const at = spec.lastIndexOf('@');
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [name, version];
}

function parseV1(
  lock: Json,
  entries: LockEntries,
  topLevel: string[],
  warnings: string[],
  declared: ReadonlySet<string> | undefined,
): void {
  const dependencies = lock.dependencies;
  if (!isObject(dependencies)) return;
  topLevel.push(...Object.keys(dependencies));
  const stack: Array<{ deps: Json; depth: number; dev: boolean }> = [{ deps: dependencies, depth: 0, dev: false }];
  while (stack.length > 0) {
    const { deps, depth, dev: parentDev } = stack.pop()!;
    if (depth > MAX_DEPTH) {
      warnings.push(`dependencies nested deeper than ${MAX_DEPTH} levels ignored`);
      continue;
    }
    for (const [rawKey, entry] of Object.entries(deps)) {
      if (!isObject(entry)) continue;
      // a package nested under a dev-only one is installed only for it
      const dev = parentDev || entry.dev === true;
      // hand-edited v1 files sometimes use v2-style install paths as keys
      const key = rawKey.includes('node_modules/') ? nameFromInstallPath(rawKey) : rawKey;
      if (typeof entry.version === 'string' && plausibleName(key)) {
        const [name, version] = unalias(key, entry.version);
        const registry = registryVersion(version);
        // v1 has no record of what the application declared; the manifest beside it does
        const direct = declared ? depth === 0 && declared.has(key) : undefined;
        if (registry) entries.add({ name, version: registry, dev, ...(direct !== undefined ? { direct } : {}) });
      }
      if (isObject(entry.dependencies)) stack.push({ deps: entry.dependencies, depth: depth + 1, dev });
    }
  }
}

function parsePackages(packages: Json, entries: LockEntries, topLevel: string[]): void {
  // Workspace members are keyed by their folder; their name is the link that points at them.
  const linkNames = new Map<string, string>();
  // A dependency the root or a workspace member declares, installed where it is looked up first.
  const directPaths = new Set<string>();
  for (const [path, entry] of Object.entries(packages)) {
    if (!isObject(entry)) continue;
    if (entry.link === true && typeof entry.resolved === 'string')
      linkNames.set(entry.resolved, nameFromInstallPath(path));
    if (path.includes('node_modules/')) continue;
    const declared = declaredDependencies(entry);
    for (const name of [...declared.prod.keys(), ...declared.dev.keys()]) {
      directPaths.add(`node_modules/${name}`);
      if (path !== '') directPaths.add(`${path}/node_modules/${name}`);
    }
  }
  for (const [path, entry] of Object.entries(packages)) {
    if (path === '' || !isObject(entry) || entry.link === true) continue;
    const installed = nameFromInstallPath(path);
    const workspace = installed === '';
    const name = typeof entry.name === 'string' ? entry.name : workspace ? linkNames.get(path) : installed;
    const version = registryVersion(entry.version);
    if (!plausibleName(name) || !version) continue;
    if (path === `node_modules/${installed}`) topLevel.push(installed);
    const licenses = licensesOf(entry);
    entries.add({
      name,
      version,
      // a workspace member is part of the application itself
      direct: workspace || directPaths.has(path),
      ...(workspace ? { workspacePath: path } : {}),
      dev: entry.dev === true,
      ...(licenses.length > 0 ? { licenses } : {}),
    });
  }
}

/** `declared`: names the package.json beside the lockfile declares, when there is one (used by v1 only). */
export function parsePackageLock(lock: Json, declared?: ReadonlySet<string>): LockParse {
  const entries = new LockEntries();
  const topLevelNames: string[] = [];
  const warnings: string[] = [];
  if (isObject(lock.packages)) parsePackages(lock.packages, entries, topLevelNames);
  else parseV1(lock, entries, topLevelNames, warnings, declared);
  if (lock.lockfileVersion !== undefined && ![1, 2, 3].includes(lock.lockfileVersion as number)) {
    warnings.push(
      `unknown lockfileVersion ${JSON.stringify(lock.lockfileVersion).slice(0, 40)}; read as the nearest known`,
    );
  }
  return { entries: entries.list(), warnings, topLevelNames };
}
