import type { RpmHeader } from './header.ts';

/** Tag numbers from rpm lib/rpmtag.h (rpmTag_e). */
export const RpmTag = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  MODULARITYLABEL: 5096,
} as const;

/** What one rpmdb header says about an installed package, before it becomes a purl-bearing Package. */
export interface InstalledPackage {
  readonly name: string;
  readonly epoch?: number;
  readonly version: string;
  readonly release: string;
  readonly arch?: string;
  readonly sourceRpm?: string;
  readonly license?: string;
  readonly vendor?: string;
  readonly modularityLabel?: string;
  /** owned paths without the leading "/" */
  readonly files: string[];
}

export type InstalledPackageRead =
  | { readonly installed: InstalledPackage; readonly problems: readonly string[] }
  | { readonly problem: string };

export function readInstalledPackage(header: RpmHeader): InstalledPackageRead {
  const name = header.string(RpmTag.NAME);
  const version = header.string(RpmTag.VERSION);
  const release = header.string(RpmTag.RELEASE);
  if (!name || version === undefined || release === undefined) {
    return { problem: 'header lacks NAME, VERSION or RELEASE' };
  }
  const problems = [...header.problems];
  const files = fileList(header, problems);
  return {
    installed: {
      name,
      epoch: header.integer(RpmTag.EPOCH),
      version,
      release,
      arch: nonEmpty(header.string(RpmTag.ARCH)),
      sourceRpm: nonEmpty(header.string(RpmTag.SOURCERPM)),
      license: nonEmpty(header.string(RpmTag.LICENSE)),
      vendor: nonEmpty(header.string(RpmTag.VENDOR)),
      modularityLabel: nonEmpty(header.string(RpmTag.MODULARITYLABEL)),
      files,
    },
    problems,
  };
}

/**
 * Owned paths: DIRNAMES[DIRINDEXES[i]] + BASENAMES[i] since rpm 4.0 "CompressedFileNames"
 * (rpm lib/tagexts.c fnTag / rpmfiBuildFNames); OLDFILENAMES in headers older than that.
 */
function fileList(header: RpmHeader, problems: string[]): string[] {
  const basenames = header.stringArray(RpmTag.BASENAMES);
  if (basenames === undefined) {
    return (header.stringArray(RpmTag.OLDFILENAMES) ?? []).map(stripRoot);
  }
  const dirnames = header.stringArray(RpmTag.DIRNAMES) ?? [];
  const dirindexes = header.integers(RpmTag.DIRINDEXES) ?? [];
  if (dirindexes.length !== basenames.length) {
    problems.push(`${basenames.length} BASENAMES but ${dirindexes.length} DIRINDEXES; file list dropped`);
    return [];
  }
  const files: string[] = [];
  for (let i = 0; i < basenames.length; i++) {
    const dirname = dirnames[dirindexes[i] ?? -1];
    if (dirname === undefined) {
      problems.push(`DIRINDEXES[${i}] points past ${dirnames.length} DIRNAMES; file list dropped`);
      return [];
    }
    files.push(stripRoot(dirname + basenames[i]));
  }
  return files;
}

function stripRoot(path: string): string {
  return path.replace(/^\/+/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === '(none)' ? undefined : value;
}

/**
 * "openssl-3.0.7-24.el9.src.rpm" -> { name: "openssl", version: "3.0.7-24.el9" }: the last two
 * dash-separated fields are version and release, as rpm names every package file N-V-R.A.rpm.
 */
export function parseSourceRpm(sourceRpm: string): { name: string; version: string } | undefined {
  const match = /^(.+)-([^-]+)-([^-]+)\.(?:src|nosrc)\.rpm$/.exec(sourceRpm);
  if (!match) return undefined;
  const [, name, version, release] = match;
  return { name: name!, version: `${version}-${release}` };
}
