/**
 * uv.lock (uv docs, "The lockfile"): TOML `[[package]]` tables with name, version, `source`, and
 * `dependencies = [{ name, version?, extra?, marker? }]`. The project itself (and each workspace
 * member) has `source = { editable | virtual = "…" }`; its `dependencies` and
 * `optional-dependencies` are direct production dependencies, its `dev-dependencies` groups direct
 * development ones. Dev-ness of the rest follows reachability, as for npm.
 */
import { parse as parseToml } from 'smol-toml';
import type { LockedPackage, LockParse } from './lockfiles.ts';
import { plausibleVersion, validName } from './pypi-package.ts';

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

interface Node {
  readonly name: string;
  readonly version: string;
  readonly project: boolean;
  readonly local: boolean;
  readonly entry: Table;
}

const key = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

function reach(start: Iterable<Node>, edges: (node: Node) => Node[]): Set<Node> {
  const seen = new Set<Node>();
  const stack = [...start];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const next of edges(node)) if (!seen.has(next)) stack.push(next);
  }
  return seen;
}

export function parseUvLock(text: string): LockParse {
  let document: Table;
  try {
    document = parseToml(text) as Table;
  } catch (err) {
    return { packages: [], warnings: [`invalid uv.lock (TOML): ${(err as Error).message.split('\n')[0]}`] };
  }
  const warnings: string[] = [];
  const nodes: Node[] = [];
  const byName = new Map<string, Node[]>();
  for (const entry of Array.isArray(document.package) ? document.package.filter(isTable) : []) {
    const source = isTable(entry.source) ? entry.source : {};
    const project = 'editable' in source || 'virtual' in source;
    const { name } = entry;
    // a virtual project may have no version of its own
    const version = typeof entry.version === 'string' ? entry.version : '';
    if (!validName(name) || (!project && !plausibleVersion(version))) {
      warnings.push(`package ${JSON.stringify(name ?? null).slice(0, 100)} without a valid name and version`);
      continue;
    }
    // local directories and wheels are the project's own code, not registry releases
    const node = { name, version, project, local: 'path' in source || 'directory' in source, entry };
    nodes.push(node);
    const list = byName.get(key(name)) ?? [];
    list.push(node);
    byName.set(key(name), list);
  }
  const resolve = (dependency: unknown): Node[] => {
    if (!isTable(dependency) || typeof dependency.name !== 'string') return [];
    const candidates = byName.get(key(dependency.name)) ?? [];
    const pinned =
      typeof dependency.version === 'string' ? candidates.filter((n) => n.version === dependency.version) : [];
    return pinned.length > 0 ? pinned : candidates;
  };
  const listed = (value: unknown): Node[] => (Array.isArray(value) ? value.flatMap(resolve) : []);
  const grouped = (value: unknown): Node[] => (isTable(value) ? Object.values(value).flatMap(listed) : []);
  const edges = (node: Node): Node[] => [
    ...listed(node.entry.dependencies),
    ...grouped(node.entry['optional-dependencies']),
  ];
  const projects = nodes.filter((n) => n.project);
  const prodRoots = projects.flatMap(edges);
  const devRoots = projects.flatMap((n) => grouped(n.entry['dev-dependencies']));
  const prod = reach([...projects, ...prodRoots], edges);
  const dev = reach(devRoots, edges);
  const direct = new Set([...prodRoots, ...devRoots]);
  const packages: LockedPackage[] = [];
  for (const node of nodes) {
    if (node.local) continue;
    if (node.project) {
      if (node.version !== '') packages.push({ name: node.name, version: node.version, root: true });
      continue;
    }
    const known = projects.length > 0;
    packages.push({
      name: node.name,
      version: node.version,
      ...(known ? { direct: direct.has(node) } : {}),
      ...(known && (prod.has(node) || dev.has(node)) ? { dev: !prod.has(node) } : {}),
    });
  }
  return { packages, warnings };
}
