import { normalizePackageName } from '../../../core/ecosystem.ts';
import { purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';

export interface PypiPackageFields {
  /** the name as the distribution spells it ("PyYAML"); the purl carries the PEP 503 form */
  readonly name: string;
  readonly version: string;
  readonly location: string;
  readonly licenses?: readonly string[];
  readonly root?: boolean;
  readonly direct?: boolean;
  readonly dev?: boolean;
}

/** PEP 508 names: letters, digits, ".", "_", "-", starting and ending alphanumeric. */
export function validName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= 200 && /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name);
}

/** Versions are PEP 440 strings; anything with whitespace or absurd length is not one. */
export function plausibleVersion(version: unknown): version is string {
  return (
    typeof version === 'string' && version.length > 0 && version.length <= 128 && /^[A-Za-z0-9._+!-]+$/.test(version)
  );
}

export function pypiPackage(fields: PypiPackageFields): Package {
  return {
    type: 'pypi',
    ecosystem: 'PyPI',
    name: fields.name,
    version: fields.version,
    purl: purl('pypi', undefined, normalizePackageName('PyPI', fields.name), fields.version),
    locations: [fields.location],
    ...(fields.licenses && fields.licenses.length > 0 ? { licenses: fields.licenses } : {}),
    ...(fields.root ? { root: true } : {}),
    ...(fields.direct !== undefined ? { direct: fields.direct } : {}),
    ...(fields.dev !== undefined ? { dev: fields.dev } : {}),
  };
}
