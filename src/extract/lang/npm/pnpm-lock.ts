/**
 * pnpm-lock.yaml (pnpm/spec lockfile/*.md). v5: package keys "/name/1.2.3_peer"; v6: "/name@1.2.3(peer@1)";
 * v9: "name@1.2.3" under `packages`, with the dependency graph moved to `snapshots`. Root
 * dependencies sit at the top (v5, v6 single project) or per project under `importers`. v5 and v6
 * mark `dev: true|false` on each package; v9 does not, so dev-ness is derived from the graph.
 */
import { valid as validSemver } from 'semver';
import { parseAllDocuments } from 'yaml';
import { type Flags, flagsFrom, type GraphNode } from './dep-graph.ts';
import { LockEntries, type LockParse } from './lock-entry.ts';
import { parseLockYaml } from './lock-yaml.ts';
import { plausibleName, plausibleVersion } from './npm-package.ts';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A version reference without its peer suffix: "1.2.3(react@18.2.0)" or "1.2.3_react@18.2.0" → "1.2.3". */
function stripPeers(ref: string): string {
  const paren = ref.indexOf('(');
  const bare = paren === -1 ? ref : ref.slice(0, paren);
  const underscore = bare.indexOf('_');
  return underscore === -1 ? bare : bare.slice(0, underscore);
}

/** "name" or "@scope/name": the shape of an npm package name */
const NAME_SHAPE = /^(?:@[^/@]+\/)?[^/@]+$/;

/** A package key → [name, version]: "/@s/n@1.0.0(p@1)", "@s/n@1.0.0", "/@s/n/1.0.0_p@1". */
export function splitPackageKey(key: string): [string, string] | undefined {
  let id = key.startsWith('/') ? key.slice(1) : key;
  const paren = id.indexOf('(');
  if (paren !== -1) id = id.slice(0, paren);
  const at = id.lastIndexOf('@');
  if (at > 0 && NAME_SHAPE.test(id.slice(0, at))) return [id.slice(0, at), stripPeers(id.slice(at + 1))];
  // v5: name/version[_peers]
  const parts = id.split('/');
  const scoped = parts[0]?.startsWith('@') ?? false;
  const name = scoped ? `${parts[0]}/${parts[1]}` : parts[0];
  const version = parts[scoped ? 2 : 1];
  if (!name || !version || !NAME_SHAPE.test(name)) return undefined;
  return [name, stripPeers(version)];
}

/** A dependency reference from importers or package dependencies → the package id it points at. */
function refToId(name: string, ref: string): string | undefined {
  if (ref.startsWith('link:') || ref.startsWith('file:')) return undefined;
  // a reference naming another package (aliases, v5 "/name/1.0.0", v9 "name@1.0.0")
  if (ref.startsWith('/') || /^@?[^@]+@/.test(stripPeers(ref))) {
    const split = splitPackageKey(ref);
    return split ? `${split[0]}@${split[1]}` : undefined;
  }
  return `${name}@${stripPeers(ref)}`;
}

/** v6+ write `{specifier, version}`; v5 writes the version alone. */
function refOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.version === 'string') return value.version;
  return undefined;
}

type Resolve = (name: string, ref: string) => string | undefined;

function collectRoots(project: Json, roots: { prod: Set<string>; dev: Set<string> }, resolve: Resolve): void {
  for (const [field, set] of [
    ['dependencies', roots.prod],
    ['optionalDependencies', roots.prod],
    ['devDependencies', roots.dev],
  ] as const) {
    const deps = project[field];
    if (!isObject(deps)) continue;
    for (const [name, value] of Object.entries(deps)) {
      const ref = refOf(value);
      const id = ref === undefined ? undefined : resolve(name, ref);
      if (id) set.add(id);
    }
  }
}

/** Files past this go through the full YAML parser only when the lockfile reader cannot take them. */
export const MAX_FULL_YAML = 8 * 1024 * 1024;

/** pnpm 10 may put an environment document before the lockfile proper: take the one with packages. */
function lockDocument(text: string): { document?: Json; error?: string } {
  let all: unknown[] | undefined = parseLockYaml(text);
  if (!all) {
    if (text.length > MAX_FULL_YAML)
      return { error: `YAML outside what pnpm writes, in a file over ${MAX_FULL_YAML} bytes` };
    // uniqueKeys off: the duplicate-key check is quadratic in the yaml library
    const documents = parseAllDocuments(text, { uniqueKeys: false });
    all = [];
    for (const doc of Array.isArray(documents) ? documents : [documents]) {
      if (doc.errors.length > 0) return { error: doc.errors[0]!.message };
      all.push(doc.toJS({ maxAliasCount: 100 }));
    }
  }
  let chosen: Json | undefined;
  for (const value of all) {
    if (isObject(value) && (chosen === undefined || 'packages' in value || 'importers' in value)) chosen = value;
  }
  return chosen ? { document: chosen } : { error: 'not a YAML mapping' };
}

export function parsePnpmLock(text: string): LockParse {
  let parsed: { document?: Json; error?: string };
  try {
    parsed = lockDocument(text);
  } catch (err) {
    parsed = { error: (err as Error).message };
  }
  const lock = parsed.document;
  if (!lock) return { entries: [], warnings: [`invalid pnpm-lock.yaml: ${parsed.error}`], topLevelNames: [] };
  const warnings: string[] = [];
  const packages = isObject(lock.packages) ? lock.packages : {};
  const snapshots = isObject(lock.snapshots) ? lock.snapshots : {};
  /** `hidden`: a local or linked package, kept for reachability but not reported (no registry version) */
  const graph = new Map<string, GraphNode & { name: string; version: string; dev?: boolean; hidden?: boolean }>();
  // tarball and git packages are keyed by URL ("@github.com/x/y/tarball/1.0") and referenced by it
  const keyToId = new Map<string, string>();
  for (const [key, entry] of Object.entries(packages)) {
    const split = splitPackageKey(key);
    const info = isObject(entry) ? entry : {};
    const name = typeof info.name === 'string' ? info.name : split?.[0];
    const version = typeof info.version === 'string' ? info.version : split?.[1];
    if (!plausibleName(name) || !plausibleVersion(version)) {
      if (!split) warnings.push(`package key ${key.slice(0, 100)} names no package`);
      continue;
    }
    const hidden = validSemver(version, { loose: true }) === null;
    const id = `${name}@${version}`;
    keyToId.set(key.startsWith('/') ? key.slice(1) : key, id);
    if (hidden) {
      if (!graph.has(id)) graph.set(id, { name, version, dependsOn: [], hidden });
      continue;
    }
    const known = graph.get(id);
    if (!known) {
      graph.set(id, { name, version, dependsOn: [], ...(typeof info.dev === 'boolean' ? { dev: info.dev } : {}) });
    } else if (info.dev === false) {
      known.dev = false;
    }
  }
  const resolve: Resolve = (name, ref) => {
    const bare = ref.startsWith('/') ? ref.slice(1) : ref;
    return keyToId.get(bare) ?? keyToId.get(`${name}@${bare}`) ?? refToId(name, ref);
  };
  const addEdges = (id: string | undefined, entry: unknown): void => {
    const node = id === undefined ? undefined : graph.get(id);
    if (!node || !isObject(entry)) return;
    for (const field of ['dependencies', 'optionalDependencies']) {
      const deps = entry[field];
      if (!isObject(deps)) continue;
      for (const [name, value] of Object.entries(deps)) {
        const target = typeof value === 'string' ? resolve(name, value) : undefined;
        if (target) (node.dependsOn as string[]).push(target);
      }
    }
  };
  for (const [key, entry] of Object.entries(packages))
    addEdges(keyToId.get(key.startsWith('/') ? key.slice(1) : key), entry);
  for (const [key, entry] of Object.entries(snapshots)) {
    const split = splitPackageKey(key);
    addEdges(keyToId.get(key) ?? (split ? `${split[0]}@${split[1]}` : undefined), entry);
  }
  const roots = { prod: new Set<string>(), dev: new Set<string>() };
  collectRoots(lock, roots, resolve);
  if (isObject(lock.importers)) {
    for (const project of Object.values(lock.importers)) if (isObject(project)) collectRoots(project, roots, resolve);
  }
  // Importers name what they resolved even where `packages` lacks it (trimmed or hand-edited files,
  // as syft's v5 fixture): the application still depends on it.
  for (const id of [...roots.prod, ...roots.dev]) {
    if (graph.has(id)) continue;
    const split = splitPackageKey(id);
    if (!split || !plausibleName(split[0]) || validSemver(split[1], { loose: true }) === null) continue;
    graph.set(id, { name: split[0], version: split[1], dependsOn: [] });
  }
  const flags: Map<string, Flags> | undefined =
    roots.prod.size + roots.dev.size > 0 ? flagsFrom(graph, roots) : undefined;
  const entries = new LockEntries();
  for (const [id, node] of graph) {
    if (node.hidden) continue;
    const flag = flags?.get(id);
    const dev = node.dev ?? flag?.dev;
    entries.add({
      name: node.name,
      version: node.version,
      ...(flag ? { direct: flag.direct } : {}),
      ...(dev !== undefined ? { dev } : {}),
    });
  }
  const topLevelNames = [...new Set([...graph.values()].filter((node) => !node.hidden).map((node) => node.name))];
  return { entries: entries.list(), warnings, topLevelNames };
}
