/** Interpretation of single dpkg status fields. */

/**
 * Package states whose files are all on disk, from the third word of `Status: want flag state`
 * (dpkg-query(1) "Package states"; dpkg lib/dpkg/pkg-namevalue.c):
 * - installed, half-configured, triggers-awaited, triggers-pending: unpacked and configured, or
 *   configuration under way;
 * - unpacked: every file is in place, only configuration is missing.
 * Not kept: not-installed, config-files (only conffiles remain), half-installed (unpacking or
 * removal broke off, so the files present are unknown).
 *
 * Peers differ: osv-scalibr keeps only "installed"; trivy and syft drop any status that names
 * "deinstall"/"purge" and keep the rest. We go by the state (the want word is only the admin's
 * intention, e.g. "deinstall ok installed" is still installed, as osv-scalibr reads it) and, unlike
 * osv-scalibr, count "unpacked" as present, because its code is on disk and can be exploited.
 */
const PRESENT_STATES = new Set(['installed', 'half-configured', 'triggers-awaited', 'triggers-pending', 'unpacked']);

/** undefined when the field is not "want flag state" */
export function packageIsPresent(status: string): boolean | undefined {
  const words = status.split(/[ \t]+/).filter((w) => w !== '');
  if (words.length !== 3) return undefined;
  return PRESENT_STATES.has(words[2]!);
}

export interface SourceRef {
  readonly name: string;
  /** set only when the field carries "(version)" */
  readonly version?: string;
}

/**
 * `Source: name` or `Source: name (version)` (deb-control(5)); the version is given when it differs
 * from the binary version (binNMUs such as "2.38.1-5+b1" built from "util-linux (2.38.1-5)").
 * undefined when malformed.
 */
export function parseSourceField(value: string): SourceRef | undefined {
  const open = value.indexOf('(');
  if (open === -1) {
    return /^\S+$/.test(value) ? { name: value } : undefined;
  }
  const name = value.slice(0, open).trim();
  const close = value.indexOf(')', open);
  if (name === '' || /\s/.test(name) || close === -1 || value.slice(close + 1).trim() !== '') return undefined;
  const version = value.slice(open + 1, close).trim();
  return version === '' ? { name } : { name, version };
}

/**
 * A cheap check of deb-version(7) syntax: [epoch:]upstream[-revision] with epoch digits and only
 * the characters the format allows. Catches garbage like "1:5.#" (trivy rejects it too) without
 * full parsing; ordering lives in src/versioning.
 */
export function isDebVersion(version: string): boolean {
  if (version === '' || version.length > 256) return false;
  let upstreamStart = 0;
  const colon = version.indexOf(':');
  if (colon !== -1) {
    if (colon === 0) return false;
    for (let i = 0; i < colon; i++) {
      const c = version.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
    }
    upstreamStart = colon + 1;
  }
  if (upstreamStart >= version.length) return false;
  for (let i = upstreamStart; i < version.length; i++) {
    const c = version[i]!;
    const ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || '.+~-:'.includes(c);
    if (!ok) return false;
  }
  return !version.endsWith('-');
}
