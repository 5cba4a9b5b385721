/**
 * Path rules for lang/python: installed distributions' metadata inside site-packages or
 * dist-packages, and lockfiles and requirements files outside them. Pure string work.
 */

export type PythonFileKind = 'metadata' | 'poetry-lock' | 'pipfile-lock' | 'uv-lock' | 'requirements';

function segments(path: string): string[] {
  return path.split('/');
}

function inPackageDir(parts: readonly string[]): boolean {
  // the last segment is the file itself
  for (let i = 0; i < parts.length - 1; i++)
    if (parts[i] === 'site-packages' || parts[i] === 'dist-packages') return true;
  return false;
}

/**
 * The installed-distribution layouts (PyPA "Recording installed projects"; setuptools egg formats):
 * `<name>-<ver>.dist-info/METADATA`, `<name>-<ver>.egg-info/PKG-INFO`, `<name>-<ver>.egg-info` as a
 * single file (distutils), and `<name>-<ver>.egg/EGG-INFO/PKG-INFO`. Suffixes compare case-insensitively,
 * as syft's globs do (`v.DIST-INFO/METADATA`).
 */
function isDistributionMetadata(parts: readonly string[]): boolean {
  const file = parts[parts.length - 1] ?? '';
  const parent = (parts[parts.length - 2] ?? '').toLowerCase();
  const upper = file.toUpperCase();
  if (upper === 'METADATA') return parent.endsWith('.dist-info') && parent.length > '.dist-info'.length;
  if (upper === 'PKG-INFO')
    return (parent.endsWith('.egg-info') && parent.length > '.egg-info'.length) || parent === 'egg-info';
  return file.toLowerCase().endsWith('.egg-info') && file.length > '.egg-info'.length;
}

export function classify(path: string): PythonFileKind | undefined {
  const parts = segments(path);
  const installed = inPackageDir(parts);
  if (installed) return isDistributionMetadata(parts) ? 'metadata' : undefined;
  // a project's lockfiles; one shipped inside an installed package describes nothing installed
  const file = parts[parts.length - 1] ?? '';
  if (file === 'poetry.lock') return 'poetry-lock';
  if (file === 'Pipfile.lock') return 'pipfile-lock';
  if (file === 'uv.lock') return 'uv-lock';
  // pip's convention and syft's glob: requirements.txt, requirements-dev.txt, dev-requirements.txt
  if (file.endsWith('.txt') && file.includes('requirements')) return 'requirements';
  return undefined;
}

export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** pyproject.toml of a project, not of a package installed in site-packages */
export function isProjectManifest(path: string): boolean {
  const parts = segments(path);
  return parts[parts.length - 1] === 'pyproject.toml' && !inPackageDir(parts);
}
