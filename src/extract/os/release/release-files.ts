/**
 * Distro facts from each kind of release file. os-release is the standard; the vendor files are
 * for images without it (CentOS 6, distroless with only debian_version, old SLES) and for the
 * extra precision some carry (debian_version "12.5"). After syft syft/linux/identify_release.go
 * and trivy pkg/fanal/analyzer/os/*.
 */
import type { Distro } from '../../../core/types.ts';
import { parseKeyValueFile } from './os-release.ts';

export interface ReleaseFacts {
  readonly distro?: Distro;
  readonly warnings: string[];
}

const MAX_FIELD = 256;

/** os-release(5): "lower-case string (no spaces or other characters outside of 0–9, a–z, '.', '_' and '-')" */
function isOsReleaseToken(value: string): boolean {
  return value.length > 0 && value.length <= 64 && /^[a-z0-9._-]+$/.test(value);
}

/** Builds a Distro, dropping empty fields and bounding free text. */
function distroOf(source: string, fields: Omit<Distro, 'source'>): Distro {
  const clip = (v: string | undefined) => (v ? v.slice(0, MAX_FIELD) : undefined);
  const versionId = clip(fields.versionId);
  const versionCodename = clip(fields.versionCodename);
  const prettyName = clip(fields.prettyName);
  return {
    id: fields.id,
    ...(versionId ? { versionId } : {}),
    ...(versionCodename ? { versionCodename } : {}),
    ...(prettyName ? { prettyName } : {}),
    ...(fields.idLike && fields.idLike.length > 0 ? { idLike: fields.idLike } : {}),
    source,
  };
}

/** etc/os-release, usr/lib/os-release */
export function fromOsRelease(text: string, source: string): ReleaseFacts {
  const { values, problems } = parseKeyValueFile(text);
  const warnings = problems.slice(0, 10);
  const rawId = (values.get('ID') ?? '').trim().toLowerCase();
  if (rawId === '') {
    warnings.push('no ID field');
    return { warnings };
  }
  if (!isOsReleaseToken(rawId)) {
    warnings.push(`ID "${rawId.slice(0, 64)}" is not an os-release identifier`);
    return { warnings };
  }
  let versionId = (values.get('VERSION_ID') ?? '').trim().toLowerCase();
  if (versionId !== '' && !isOsReleaseToken(versionId)) {
    warnings.push(`VERSION_ID "${versionId.slice(0, 64)}" is not an os-release version; ignored`);
    versionId = '';
  }
  const codename = (values.get('VERSION_CODENAME') || values.get('UBUNTU_CODENAME') || '').trim().toLowerCase();
  const idLike = (values.get('ID_LIKE') ?? '')
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => isOsReleaseToken(w))
    .slice(0, 16);
  return {
    distro: distroOf(source, {
      id: rawId,
      versionId,
      versionCodename: isOsReleaseToken(codename) ? codename : undefined,
      prettyName: values.get('PRETTY_NAME')?.trim(),
      idLike,
    }),
    warnings,
  };
}

/** etc/lsb-release (Ubuntu): DISTRIB_ID, DISTRIB_RELEASE, DISTRIB_CODENAME, DISTRIB_DESCRIPTION */
export function fromLsbRelease(text: string, source: string): ReleaseFacts {
  const { values } = parseKeyValueFile(text);
  const id = (values.get('DISTRIB_ID') ?? '').trim().toLowerCase();
  if (!isOsReleaseToken(id)) return { warnings: ['no usable DISTRIB_ID'] };
  const release = (values.get('DISTRIB_RELEASE') ?? '').trim().toLowerCase();
  const codename = (values.get('DISTRIB_CODENAME') ?? '').trim().toLowerCase();
  return {
    distro: distroOf(source, {
      id,
      versionId: isOsReleaseToken(release) ? release : undefined,
      versionCodename: isOsReleaseToken(codename) ? codename : undefined,
      prettyName: values.get('DISTRIB_DESCRIPTION')?.trim(),
    }),
    warnings: [],
  };
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl === -1 ? text : text.slice(0, nl)).trim();
}

/** etc/alpine-release: "3.19.1" */
export function fromAlpineRelease(text: string, source: string): ReleaseFacts {
  const version = firstLine(text);
  // e.g. "3.19.1", "3.20.0_alpha20240329" (edge)
  if (version.length > 64 || !/^[0-9][0-9a-z._-]*$/i.test(version)) {
    return { warnings: [`"${version.slice(0, 64)}" is not an Alpine version`] };
  }
  return { distro: distroOf(source, { id: 'alpine', versionId: version.toLowerCase() }), warnings: [] };
}

/**
 * etc/debian_version: "12.5" on a release, "trixie/sid" on testing and unstable (and on Ubuntu,
 * which inherits the file from Debian's base-files).
 */
export function fromDebianVersion(text: string, source: string): ReleaseFacts {
  const value = firstLine(text);
  if (/^\d+(\.\d+)*$/.test(value) && value.length <= 32) {
    return { distro: distroOf(source, { id: 'debian', versionId: value }), warnings: [] };
  }
  const slash = value.indexOf('/');
  const codename = (slash === -1 ? value : value.slice(0, slash)).toLowerCase();
  if (isOsReleaseToken(codename)) {
    return { distro: distroOf(source, { id: 'debian', versionCodename: codename }), warnings: [] };
  }
  return { warnings: [`"${value.slice(0, 64)}" is not a Debian version`] };
}

/** vendor name prefix (lower case) → os-release ID, and how much of the version os-release keeps */
const RED_HAT_FAMILY: ReadonlyArray<{ prefix: string; id: string; version: 'major' | 'major.minor' | 'amzn' }> = [
  { prefix: 'red hat enterprise linux', id: 'rhel', version: 'major.minor' },
  { prefix: 'centos', id: 'centos', version: 'major' },
  { prefix: 'rocky linux', id: 'rocky', version: 'major.minor' },
  { prefix: 'almalinux', id: 'almalinux', version: 'major.minor' },
  { prefix: 'fedora', id: 'fedora', version: 'major' },
  { prefix: 'amazon linux', id: 'amzn', version: 'amzn' },
  { prefix: 'oracle linux', id: 'ol', version: 'major.minor' },
];

/**
 * etc/redhat-release, centos-release, rocky-release, almalinux-release, fedora-release,
 * system-release: "<Name> release <version> (<codename>)". The version is cut to what the
 * distro's os-release VERSION_ID holds (CentOS "7.9.2009" → "7", Rocky "9.3" → "9.3",
 * Amazon Linux "2023.3.20240312" → "2023").
 */
export function fromRedHatRelease(text: string, source: string): ReleaseFacts {
  const line = firstLine(text);
  const lower = line.toLowerCase();
  const at = lower.indexOf(' release ');
  if (at <= 0) return { warnings: [`"${line.slice(0, 64)}" is not "<name> release <version>"`] };
  const name = lower.slice(0, at).trim();
  const version =
    line
      .slice(at + ' release '.length)
      .trim()
      .split(/\s/)[0] ?? '';
  if (!/^\d+(\.\d+)*$/.test(version)) return { warnings: [`no version in "${line.slice(0, 64)}"`] };
  const family = RED_HAT_FAMILY.find((f) => name.startsWith(f.prefix));
  const id = family?.id ?? name.split(/\s/)[0]!;
  if (!isOsReleaseToken(id)) return { warnings: [`unknown distribution "${name.slice(0, 64)}"`] };
  const parts = version.split('.');
  let versionId = version;
  if (family?.version === 'major') versionId = parts[0]!;
  else if (family?.version === 'major.minor') versionId = parts.slice(0, 2).join('.');
  else if (family?.version === 'amzn' && parts.length >= 3) versionId = parts[0]!;
  // The parenthesised word is not a codename os-release would carry ("Core", "Final", "Amazon
  // Linux"), so it stays in prettyName only.
  return { distro: distroOf(source, { id, versionId, prettyName: line }), warnings: [] };
}

/**
 * etc/SuSE-release (SLES 11/12, openSUSE before os-release): a title line, then "VERSION = 11"
 * and "PATCHLEVEL = 4"; the version becomes "11.4" as in later os-release files.
 */
export function fromSuseRelease(text: string, source: string): ReleaseFacts {
  const title = firstLine(text);
  const lower = title.toLowerCase();
  const id = lower.startsWith('suse linux enterprise server')
    ? 'sles'
    : lower.startsWith('suse linux enterprise desktop')
      ? 'sled'
      : lower.startsWith('opensuse')
        ? 'opensuse'
        : undefined;
  if (!id) return { warnings: [`unknown SUSE product "${title.slice(0, 64)}"`] };
  const fields = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq).trim().toUpperCase(), line.slice(eq + 1).trim());
  }
  const version = fields.get('VERSION') ?? '';
  if (!/^\d+(\.\d+)?$/.test(version)) return { warnings: ['no VERSION line'] };
  const patch = fields.get('PATCHLEVEL') ?? '';
  const versionId = /^[1-9]\d*$/.test(patch) && !version.includes('.') ? `${version}.${patch}` : version;
  return { distro: distroOf(source, { id, versionId, prettyName: title }), warnings: [] };
}

/** etc/photon-release: "VMware Photon OS 5.0" then "PHOTON_BUILD_NUMBER=..." */
export function fromPhotonRelease(text: string, source: string): ReleaseFacts {
  const title = firstLine(text);
  const version = title.split(/\s+/).pop() ?? '';
  if (!title.toLowerCase().includes('photon') || !/^\d+(\.\d+)*$/.test(version)) {
    return { warnings: [`"${title.slice(0, 64)}" is not a Photon OS release line`] };
  }
  return { distro: distroOf(source, { id: 'photon', versionId: version, prettyName: title }), warnings: [] };
}

/** path (no leading "/") → parser */
export const RELEASE_FILES: ReadonlyMap<string, (text: string, source: string) => ReleaseFacts> = new Map([
  ['etc/os-release', fromOsRelease],
  ['usr/lib/os-release', fromOsRelease],
  ['etc/lsb-release', fromLsbRelease],
  ['etc/alpine-release', fromAlpineRelease],
  ['etc/debian_version', fromDebianVersion],
  ['etc/redhat-release', fromRedHatRelease],
  ['etc/centos-release', fromRedHatRelease],
  ['etc/rocky-release', fromRedHatRelease],
  ['etc/almalinux-release', fromRedHatRelease],
  ['etc/fedora-release', fromRedHatRelease],
  ['etc/oracle-release', fromRedHatRelease],
  ['etc/system-release', fromRedHatRelease],
  ['etc/SuSE-release', fromSuseRelease],
  ['etc/photon-release', fromPhotonRelease],
]);
