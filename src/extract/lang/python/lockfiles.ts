/**
 * Python lockfiles: poetry.lock and uv.lock (TOML), Pipfile.lock (JSON). Each gives name and
 * version per package; dev-ness and directness where the format records them.
 */
import { parse as parseToml } from 'smol-toml';
import { plausibleVersion, validName } from './pypi-package.ts';
import { normalise, type ProjectManifest } from './pyproject.ts';

export interface LockedPackage {
  readonly name: string;
  readonly version: string;
  readonly root?: boolean;
  /** where it was read from when not the lockfile itself (the project's pyproject.toml) */
  readonly location?: string;
  readonly direct?: boolean;
  readonly dev?: boolean;
}

export interface LockParse {
  readonly packages: LockedPackage[];
  readonly warnings: string[];
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function tomlDocument(text: string, file: string): { document?: Table; warning?: string } {
  try {
    return { document: parseToml(text) as Table };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    return { warning: `invalid ${file} (TOML): ${message}` };
  }
}

function arrayOfTables(value: unknown): Table[] {
  return Array.isArray(value) ? value.filter(isTable) : [];
}

/**
 * poetry.lock: `[[package]]` with name, version and `[package.dependencies]`. Poetry < 1.5 wrote
 * `category = "main"|"dev"`; Poetry 2 writes `groups = ["main", "dev"]`; in between, neither, and
 * dev-ness then follows from what the project (pyproject.toml) declares, through the graph.
 */
export function parsePoetryLock(text: string, project?: ProjectManifest): LockParse {
  const { document, warning } = tomlDocument(text, 'poetry.lock');
  if (!document) return { packages: [], warnings: [warning!] };
  const warnings: string[] = [];
  const nodes: Array<{ name: string; version: string; dev?: boolean; dependsOn: string[] }> = [];
  for (const entry of arrayOfTables(document.package)) {
    const { name, version } = entry;
    if (!validName(name) || !plausibleVersion(version)) {
      warnings.push(`package ${JSON.stringify(name ?? null).slice(0, 100)} without a valid name and version`);
      continue;
    }
    let dev: boolean | undefined;
    if (typeof entry.category === 'string') dev = entry.category === 'dev';
    else if (Array.isArray(entry.groups)) dev = !entry.groups.includes('main');
    const dependsOn = isTable(entry.dependencies) ? Object.keys(entry.dependencies).map(normalise) : [];
    nodes.push({ name, version, dependsOn, ...(dev !== undefined ? { dev } : {}) });
  }
  const reach = (start: Iterable<string>): Set<string> => {
    const byName = new Map<string, string[]>();
    for (const node of nodes) byName.set(normalise(node.name), node.dependsOn);
    const seen = new Set<string>();
    const stack = [...start];
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      for (const next of byName.get(name) ?? []) if (!seen.has(next)) stack.push(next);
    }
    return seen;
  };
  const prod = project ? reach(project.prod) : undefined;
  const devReach = project ? reach(project.dev) : undefined;
  const packages: LockedPackage[] = [];
  if (project?.name && validName(project.name) && plausibleVersion(project.version)) {
    packages.push({ name: project.name, version: project.version, root: true, location: project.path });
  }
  for (const node of nodes) {
    const key = normalise(node.name);
    const direct = project ? project.prod.has(key) || project.dev.has(key) : undefined;
    const derived = prod?.has(key) ? false : devReach?.has(key) ? true : undefined;
    const dev = node.dev ?? derived;
    packages.push({
      name: node.name,
      version: node.version,
      ...(direct !== undefined ? { direct } : {}),
      ...(dev !== undefined ? { dev } : {}),
    });
  }
  return { packages, warnings };
}

/** Pipfile.lock (pipenv): `default` and `develop` map names to `{ "version": "==1.2.3" }`. */
export function parsePipfileLock(lock: Table): LockParse {
  const byKey = new Map<string, LockedPackage>();
  const warnings: string[] = [];
  for (const [section, dev] of [
    ['default', false],
    ['develop', true],
  ] as const) {
    const entries = lock[section];
    if (!isTable(entries)) continue;
    for (const [name, entry] of Object.entries(entries)) {
      // git, path and editable entries carry no version
      const pinned = isTable(entry) && typeof entry.version === 'string' ? entry.version : undefined;
      if (!pinned) continue;
      const version = pinned.replace(/^===?/, '');
      if (!validName(name) || !plausibleVersion(version)) {
        warnings.push(`${section} entry ${JSON.stringify(name).slice(0, 100)} without a valid name and version`);
        continue;
      }
      const key = `${name.toLowerCase()}@${version}`;
      // in both sections: installed for production too
      if (!byKey.has(key) || !dev) byKey.set(key, { name, version, dev });
    }
  }
  return { packages: [...byKey.values()], warnings };
}
