/**
 * pyproject.toml beside a poetry.lock: what the project declares, for direct and dev flags the lock
 * itself does not record. PEP 621 `[project]` (dependencies, optional-dependencies), PEP 735
 * `[dependency-groups]` (development groups), and Poetry's own `[tool.poetry]` tables
 * (dependencies, dev-dependencies, group.<name>.dependencies; python.org's `python` is no package).
 */
import { parse as parseToml } from 'smol-toml';
import type { FileSystemView } from '../../types.ts';

export interface ProjectManifest {
  readonly path: string;
  readonly name?: string;
  readonly version?: string;
  /** PEP 503-normalised names */
  readonly prod: ReadonlySet<string>;
  readonly dev: ReadonlySet<string>;
}

type Table = Record<string, unknown>;
const MAX_MANIFEST = 4 * 1024 * 1024;

function isTable(value: unknown): value is Table {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export const normalise = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

/** "requests[socks]>=2; python_version<'3.8'" → "requests" (PEP 508: the name comes first) */
function requirementName(requirement: unknown): string | undefined {
  if (typeof requirement !== 'string') return undefined;
  const match = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(requirement);
  return match ? normalise(match[1]!) : undefined;
}

function addRequirements(list: unknown, into: Set<string>): void {
  if (!Array.isArray(list)) return;
  for (const requirement of list.slice(0, 10_000)) {
    const name = requirementName(requirement);
    if (name) into.add(name);
  }
}

function addKeys(table: unknown, into: Set<string>): void {
  if (!isTable(table)) return;
  for (const name of Object.keys(table)) if (name.toLowerCase() !== 'python') into.add(normalise(name));
}

export function parseProject(text: string, path: string): ProjectManifest | undefined {
  let document: Table;
  try {
    document = parseToml(text) as Table;
  } catch {
    return undefined;
  }
  const prod = new Set<string>();
  const dev = new Set<string>();
  const project = isTable(document.project) ? document.project : {};
  addRequirements(project.dependencies, prod);
  if (isTable(project['optional-dependencies'])) {
    for (const list of Object.values(project['optional-dependencies'])) addRequirements(list, prod);
  }
  if (isTable(document['dependency-groups'])) {
    for (const list of Object.values(document['dependency-groups'])) addRequirements(list, dev);
  }
  const tool = isTable(document.tool) ? document.tool : {};
  const poetry = isTable(tool.poetry) ? tool.poetry : {};
  addKeys(poetry.dependencies, prod);
  addKeys(poetry['dev-dependencies'], dev);
  if (isTable(poetry.group)) {
    for (const [group, table] of Object.entries(poetry.group)) {
      if (isTable(table)) addKeys(table.dependencies, group === 'main' ? prod : dev);
    }
  }
  for (const name of prod) dev.delete(name);
  const name =
    typeof project.name === 'string' ? project.name : typeof poetry.name === 'string' ? poetry.name : undefined;
  const version =
    typeof project.version === 'string'
      ? project.version
      : typeof poetry.version === 'string'
        ? poetry.version
        : undefined;
  return { path, prod, dev, ...(name ? { name } : {}), ...(version ? { version } : {}) };
}

export async function readProject(fs: FileSystemView, dir: string): Promise<ProjectManifest | undefined> {
  const path = dir === '' ? 'pyproject.toml' : `${dir}/pyproject.toml`;
  try {
    const buffer = await fs.readFile(path, MAX_MANIFEST);
    return buffer ? parseProject(buffer.toString('utf8'), path) : undefined;
  } catch {
    return undefined;
  }
}
