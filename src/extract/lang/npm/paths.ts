/**
 * Path rules for lang/npm: which image paths are installed packages, candidate application roots,
 * lockfiles or a Node.js binary. Pure string work, so `required` stays cheap.
 */

export type NpmFileKind = 'installed' | 'manifest' | 'package-lock' | 'yarn-lock' | 'pnpm-lock' | 'node-binary';

const LOCKFILES: Readonly<Record<string, NpmFileKind>> = {
  'package-lock.json': 'package-lock',
  // npm-shrinkwrap.json is package-lock.json under another name (npm docs, "npm-shrinkwrap.json")
  'npm-shrinkwrap.json': 'package-lock',
  'yarn.lock': 'yarn-lock',
  'pnpm-lock.yaml': 'pnpm-lock',
};

export const LOCKFILE_NAMES: readonly string[] = Object.keys(LOCKFILES);

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

export function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function insideNodeModules(path: string): boolean {
  return path.startsWith('node_modules/') || path.includes('/node_modules/');
}

/**
 * `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`: the only
 * places npm, yarn and pnpm (`.pnpm/<id>/node_modules/<name>`) install a package. Deeper
 * package.json files (`dist/esm/package.json` module-type markers, test fixtures) are not packages.
 */
export function isInstalledManifest(path: string): boolean {
  if (!path.endsWith('/package.json')) return false;
  const marker = path.lastIndexOf('node_modules/');
  if (marker === -1 || (marker > 0 && path[marker - 1] !== '/')) return false;
  const parts = path.slice(marker + 'node_modules/'.length).split('/');
  const valid = (segment: string | undefined): boolean =>
    segment !== undefined && segment !== '' && !segment.startsWith('.') && !segment.startsWith('@');
  if (parts.length === 2) return valid(parts[0]);
  if (parts.length === 3) return (parts[0]?.length ?? 0) > 1 && parts[0]!.startsWith('@') && valid(parts[1]);
  return false;
}

/** Executable bits, or no mode known at all (0): a tar header may omit nothing but the type. */
function executable(mode: number): boolean {
  return mode === 0 || (mode & 0o111) !== 0;
}

export function classify(path: string, mode: number): NpmFileKind | undefined {
  const name = basename(path);
  if (name === 'package.json') {
    if (isInstalledManifest(path)) return 'installed';
    return insideNodeModules(path) ? undefined : 'manifest';
  }
  const lockfile = LOCKFILES[name];
  if (lockfile) return insideNodeModules(path) ? undefined : lockfile;
  if (name === 'node' && (path === 'bin/node' || path.endsWith('/bin/node')) && executable(mode)) return 'node-binary';
  return undefined;
}

/** npm 7+'s record of an installed tree, directly in an application's node_modules (not a nested one) */
export function isHiddenLockfile(path: string): boolean {
  const suffix = 'node_modules/.package-lock.json';
  if (path !== suffix && !path.endsWith(`/${suffix}`)) return false;
  return !insideNodeModules(path.slice(0, path.length - suffix.length));
}
