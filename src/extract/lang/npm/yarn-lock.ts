/**
 * yarn.lock in both of its formats. Yarn 1 ("# yarn lockfile v1") writes its own syntax: an entry
 * line of comma-separated descriptors ending in ":", then indented `version "1.2.3"` and a
 * `dependencies:` block of `name "range"` lines (yarnpkg/yarn src/lockfile/parse.js). Yarn 2+
 * ("berry") writes YAML with a `__metadata` entry, `resolution: "name@npm:1.2.3"` and
 * `linkType: soft` for workspaces and links (yarnpkg/berry Project.generateLockfile).
 */
import { valid as validSemver } from 'semver';
import { parse as parseYaml } from 'yaml';
import { type Flags, flagsFrom, type GraphNode } from './dep-graph.ts';
import { LockEntries, type LockParse } from './lock-entry.ts';
import { parseLockYaml } from './lock-yaml.ts';
import type { DeclaredDependencies } from './manifest.ts';
import { plausibleName, plausibleVersion } from './npm-package.ts';
import { MAX_FULL_YAML } from './pnpm-lock.ts';

interface YarnPackage {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** name → range, as written under `dependencies` / `optionalDependencies` */
  readonly dependencies: Map<string, string>;
  /** a workspace entry (berry): the application itself */
  readonly workspace: boolean;
}

const unquote = (text: string): string =>
  text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;

/** "@scope/name@^1.0.0" → "@scope/name"; the name's own leading "@" is not the separator */
export function descriptorName(descriptor: string): string {
  const at = descriptor.indexOf('@', 1);
  return at === -1 ? descriptor : descriptor.slice(0, at);
}

/**
 * Registry packages only, as trivy's yarn parser keeps them: a plain range or tag, or `npm:`;
 * file:, link:, portal:, exec:, git and tarball URLs (and unknown protocols) are not in the registry.
 * Berry's `patch:` wraps a registry package and keeps its version.
 */
function fromRegistry(range: string): boolean {
  const protocol = /^([a-z][a-z+.-]*):/i.exec(range)?.[1]?.toLowerCase();
  return protocol === undefined || protocol === 'npm' || protocol === 'patch';
}

function splitDescriptors(key: string): string[] {
  return key
    .split(',')
    .map((part) => unquote(part.trim()))
    .filter((part) => part !== '');
}

/** Yarn 1: a hand parser for its indentation syntax. */
function parseClassic(text: string, warnings: string[]): Map<string, YarnPackage> {
  const byDescriptor = new Map<string, YarnPackage>();
  let descriptors: string[] = [];
  let version: string | undefined;
  let dependencies = new Map<string, string>();
  let inDependencies = false;
  let entryLine = 0;
  const finish = (): void => {
    if (descriptors.length === 0) return;
    const first = descriptors[0]!;
    let name = descriptorName(first);
    const range = first.slice(name.length + 1);
    // an alias: "alias@npm:real@^1.0.0" installs `real`
    if (range.startsWith('npm:')) name = descriptorName(range.slice(4));
    if (!version) warnings.push(`entry at line ${entryLine} (${first.slice(0, 100)}) has no version`);
    else if (
      fromRegistry(range) &&
      plausibleName(name) &&
      plausibleVersion(version) &&
      validSemver(version, { loose: true })
    ) {
      const pkg = { id: `${name}@${version}`, name, version, dependencies, workspace: false };
      for (const descriptor of descriptors) byDescriptor.set(descriptor, pkg);
    }
    descriptors = [];
    version = undefined;
    dependencies = new Map();
    inDependencies = false;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    const body = line.trim();
    if (indent === 0) {
      finish();
      if (!body.endsWith(':')) {
        warnings.push(`line ${i + 1}: not an entry line`);
        continue;
      }
      descriptors = splitDescriptors(body.slice(0, -1));
      entryLine = i + 1;
      continue;
    }
    if (descriptors.length === 0) continue;
    const space = body.search(/[\s:]/);
    const key = unquote(space === -1 ? body : body.slice(0, space));
    const value = space === -1 ? '' : unquote(body.slice(space + 1).trim());
    if (indent <= 2) {
      inDependencies = body.endsWith(':') && (key === 'dependencies' || key === 'optionalDependencies');
      if (key === 'version') version = value;
    } else if (inDependencies && key !== '') {
      dependencies.set(key, value);
    }
  }
  finish();
  return byDescriptor;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Yarn 2+: YAML, one entry per resolution. */
function parseBerry(document: Record<string, unknown>, warnings: string[]): Map<string, YarnPackage> {
  const byDescriptor = new Map<string, YarnPackage>();
  for (const [key, entry] of Object.entries(document)) {
    if (key === '__metadata' || !isObject(entry)) continue;
    const resolution = typeof entry.resolution === 'string' ? entry.resolution : (splitDescriptors(key)[0] ?? '');
    const workspace = resolution.slice(descriptorName(resolution).length + 1).startsWith('workspace:');
    // a workspace is named by its key ("app@workspace:."), a resolved package by its resolution
    const name = descriptorName(workspace ? (splitDescriptors(key)[0] ?? '') : resolution);
    const version = typeof entry.version === 'string' ? entry.version : String(entry.version ?? '');
    const dependencies = new Map<string, string>();
    for (const field of ['dependencies', 'optionalDependencies']) {
      const deps = entry[field];
      if (isObject(deps)) for (const [dep, range] of Object.entries(deps)) dependencies.set(dep, String(range));
    }
    if (!workspace && (entry.linkType === 'soft' || !fromRegistry(resolution.slice(name.length + 1)))) continue;
    if (!workspace && !(plausibleName(name) && plausibleVersion(version) && validSemver(version, { loose: true }))) {
      if (!version) warnings.push(`entry ${key.slice(0, 100)} has no version`);
      continue;
    }
    const pkg = { id: workspace ? `workspace:${key}` : `${name}@${version}`, name, version, dependencies, workspace };
    for (const descriptor of splitDescriptors(key)) byDescriptor.set(descriptor, pkg);
  }
  return byDescriptor;
}

function resolver(byDescriptor: Map<string, YarnPackage>): (name: string, range: string) => YarnPackage | undefined {
  // berry keys carry the protocol ("name@npm:^1.0.0") where dependency ranges may not ("^1.0.0")
  return (name, range) => byDescriptor.get(`${name}@${range}`) ?? byDescriptor.get(`${name}@npm:${range}`);
}

export function parseYarnLock(text: string, declared: DeclaredDependencies | undefined): LockParse {
  const warnings: string[] = [];
  let byDescriptor: Map<string, YarnPackage>;
  if (/^__metadata:/m.test(text)) {
    let document: unknown = parseLockYaml(text)?.[0];
    if (document === undefined) {
      if (text.length > MAX_FULL_YAML) {
        return {
          entries: [],
          warnings: [`yarn.lock: YAML outside what yarn writes, in a file over ${MAX_FULL_YAML} bytes`],
          topLevelNames: [],
        };
      }
      try {
        // uniqueKeys off: yarn has written a repeated entry now and then (syft's yarn-berry fixture)
        document = parseYaml(text, { maxAliasCount: 100, uniqueKeys: false });
      } catch (err) {
        return {
          entries: [],
          warnings: [`invalid yarn.lock (berry YAML): ${(err as Error).message}`],
          topLevelNames: [],
        };
      }
    }
    if (!isObject(document)) return { entries: [], warnings: ['yarn.lock is not a YAML mapping'], topLevelNames: [] };
    byDescriptor = parseBerry(document, warnings);
  } else {
    byDescriptor = parseClassic(text, warnings);
  }
  const resolve = resolver(byDescriptor);
  const packages = new Map<string, YarnPackage>();
  for (const pkg of byDescriptor.values()) packages.set(pkg.id, pkg);
  const graph = new Map<string, GraphNode>();
  for (const pkg of packages.values()) {
    const dependsOn: string[] = [];
    for (const [name, range] of pkg.dependencies) {
      const target = resolve(name, range);
      if (target) dependsOn.push(target.id);
    }
    graph.set(pkg.id, { dependsOn });
  }
  const roots = { prod: new Set<string>(), dev: new Set<string>() };
  if (declared) {
    for (const [set, from] of [
      [roots.prod, declared.prod],
      [roots.dev, declared.dev],
    ] as const) {
      for (const [name, range] of from) {
        const target = resolve(name, range);
        if (target) set.add(target.id);
      }
    }
  } else {
    // no manifest: berry workspaces still say what the application depends on, not whether for dev
    for (const pkg of packages.values())
      if (pkg.workspace) for (const id of graph.get(pkg.id)!.dependsOn) roots.prod.add(id);
  }
  const flags: Map<string, Flags> | undefined =
    roots.prod.size + roots.dev.size > 0 ? flagsFrom(graph, roots) : undefined;
  const entries = new LockEntries();
  for (const pkg of packages.values()) {
    if (pkg.workspace) {
      // the package.json beside the lockfile reports the application itself; without one, this does
      // "0.0.0-use.local" is berry's stand-in for a workspace without a version
      if (
        !declared &&
        pkg.version !== '0.0.0-use.local' &&
        plausibleName(pkg.name) &&
        plausibleVersion(pkg.version) &&
        validSemver(pkg.version, { loose: true })
      ) {
        entries.add({ name: pkg.name, version: pkg.version, root: true });
      }
      continue;
    }
    const flag = flags?.get(pkg.id);
    entries.add({
      name: pkg.name,
      version: pkg.version,
      ...(flag ? { direct: flag.direct } : {}),
      ...(flag && declared && flag.dev !== undefined ? { dev: flag.dev } : {}),
    });
  }
  const topLevelNames = [...new Set([...packages.values()].filter((p) => !p.workspace).map((p) => p.name))];
  return { entries: entries.list(), warnings, topLevelNames };
}
