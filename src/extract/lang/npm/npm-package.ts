import { purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';

export interface NpmPackageFields {
  readonly name: string;
  readonly version: string;
  readonly location: string;
  readonly licenses?: readonly string[];
  readonly root?: boolean;
  readonly direct?: boolean;
  readonly dev?: boolean;
}

/** "@scope/name" → ["@scope", "name"]; the purl spec keeps the "@" in the npm namespace. */
function splitScope(name: string): [string | undefined, string] {
  if (!name.startsWith('@')) return [undefined, name];
  const slash = name.indexOf('/');
  return slash === -1 ? [undefined, name] : [name.slice(0, slash), name.slice(slash + 1)];
}

/** "name" or "@scope/name", at most 214 characters, no whitespace (npm validate-npm-package-name). */
export function plausibleName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= 214 && /^(?:@[^/\s@]+\/)?[^/\s@][^/\s]*$/.test(name);
}

/** Versions are compared as semver later; anything with whitespace or absurd length is not one. */
export function plausibleVersion(version: unknown): version is string {
  return (
    typeof version === 'string' && version.length > 0 && version.length <= 256 && !/[\s\u0000-\u001f]/.test(version)
  );
}

export function npmPackage(fields: NpmPackageFields): Package {
  const [namespace, base] = splitScope(fields.name);
  return {
    type: 'npm',
    ecosystem: 'npm',
    name: fields.name,
    version: fields.version,
    purl: purl('npm', namespace, base, fields.version),
    locations: [fields.location],
    ...(fields.licenses && fields.licenses.length > 0 ? { licenses: fields.licenses } : {}),
    ...(fields.root ? { root: true } : {}),
    ...(fields.direct !== undefined ? { direct: fields.direct } : {}),
    ...(fields.dev !== undefined ? { dev: fields.dev } : {}),
  };
}

/**
 * package.json `license` (an SPDX expression, or the deprecated `{type, url}` object) and the older
 * `licenses` array of the same (npm docs, package.json "license"). Other shapes are ignored.
 */
export function licensesOf(manifest: Record<string, unknown>): string[] {
  const out: string[] = [];
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value.trim() !== '') out.push(value.trim());
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const type = (value as Record<string, unknown>).type;
      if (typeof type === 'string' && type.trim() !== '') out.push(type.trim());
    }
  };
  // package-lock.json copies `license` as published, which some old packages made an array
  if (Array.isArray(manifest.license)) for (const entry of manifest.license.slice(0, 100)) add(entry);
  else add(manifest.license);
  if (Array.isArray(manifest.licenses)) for (const entry of manifest.licenses.slice(0, 100)) add(entry);
  else add(manifest.licenses);
  return [...new Set(out)];
}
