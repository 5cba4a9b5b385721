/**
 * The files a dpkg package owns, from `var/lib/dpkg/info/<pkg>[:<arch>].list` (every path the
 * package unpacked, directories included, "/." for the root) or, in distroless images, from
 * `var/lib/dpkg/status.d/<pkg>.md5sums` ("<md5>  <path>", regular files only).
 */
import type { FileSystemView } from '../../types.ts';

export const INFO_DIR = 'var/lib/dpkg/info';
export const STATUS_DIR = 'var/lib/dpkg/status.d';
const LIST_LIMIT = 16 * 1024 * 1024;

/**
 * Regular files of a .list: a path counts as a directory when another listed path lies beneath it
 * (dpkg writes a directory entry for every parent). Empty directories cannot be told apart from
 * files this way and stay in.
 */
export function filesFromList(text: string): string[] {
  const paths: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const path = line.replace(/^\/+/, '');
    if (path === '' || path === '.') continue;
    paths.push(path);
  }
  const parents = new Set<string>();
  for (const path of paths) {
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      const parent = path.slice(0, slash);
      if (parents.has(parent)) break;
      parents.add(parent);
    }
  }
  return [...new Set(paths.filter((p) => !parents.has(p)))];
}

/** Paths of an md5sums file ("<32 hex>  <path>"), no leading "/". */
export function filesFromMd5sums(text: string): string[] {
  const paths: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const space = line.indexOf(' ');
    if (space === -1) continue;
    const path = line.slice(space).trim().replace(/^\/+/, '');
    if (path !== '') paths.push(path);
  }
  return paths;
}

/** Finds and reads the file list of each package, caching the directory listings it needs. */
export class FileListIndex {
  readonly #fs: FileSystemView;
  #infoNames: Promise<Set<string>> | undefined;
  #statusDirNames: Promise<Set<string>> | undefined;

  constructor(fs: FileSystemView) {
    this.#fs = fs;
  }

  async #names(dir: string): Promise<Set<string>> {
    const listed = await this.#fs.list(dir).catch(() => [] as string[]);
    return new Set(listed.map((p) => p.slice(p.lastIndexOf('/') + 1)));
  }

  async #read(path: string): Promise<string | undefined> {
    const content = await this.#fs.readFile(path, LIST_LIMIT).catch(() => undefined);
    return content?.toString('utf8');
  }

  /** files from info/<name>.list or info/<name>:<arch>.list; undefined when neither is there */
  async fromInfo(name: string, arch: string | undefined): Promise<string[] | undefined> {
    this.#infoNames ??= this.#names(INFO_DIR);
    const names = await this.#infoNames;
    const candidates = arch ? [`${name}:${arch}.list`, `${name}.list`] : [`${name}.list`];
    for (const file of candidates) {
      if (!names.has(file)) continue;
      const text = await this.#read(`${INFO_DIR}/${file}`);
      if (text !== undefined) return filesFromList(text);
    }
    return undefined;
  }

  /** files from status.d/<name>.md5sums, trying the package name and then the status.d file name */
  async fromStatusDir(name: string, statusFileName: string): Promise<string[] | undefined> {
    this.#statusDirNames ??= this.#names(STATUS_DIR);
    const names = await this.#statusDirNames;
    for (const base of new Set([name, statusFileName])) {
      const file = `${base}.md5sums`;
      if (!names.has(file)) continue;
      const text = await this.#read(`${STATUS_DIR}/${file}`);
      if (text !== undefined) return filesFromMd5sums(text);
    }
    return undefined;
  }
}
