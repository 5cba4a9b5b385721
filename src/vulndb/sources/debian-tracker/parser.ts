import { debianReleases } from '../../../core/debian-releases.ts';
import type { OsvAffected, OsvRecord } from '../../../core/osv.ts';
import type { SourceItem } from '../../types.ts';
import { scanJson } from './json-scan.ts';

/**
 * The Debian security tracker's JSON export (https://security-tracker.debian.org/tracker/data/json) is
 * `{sourcePackage: {issueId: {description?, scope?, debianbug?, releases: {codename: {status,
 * repositories, fixed_version?, urgency, nodsa?, nodsa_reason?}}}}}` (the fields the tracker's
 * `tracker_service.py` writes; statuses and urgencies as https://security-team.debian.org/security_tracker.html
 * explains them).
 *
 * It is turned into OSV the way osv.dev's own converter does (google/osv.dev
 * `vulnfeeds/cmd/converters/debian/main.go`), so that the matcher evaluates these records with the same
 * code as osv.dev's Debian ones: id `DEBIAN-<CVE>`, `upstream: [CVE]`, one `affected[]` entry per
 * (release, source package) with ecosystem `Debian:<version>`, `ECOSYSTEM` range introduced "0" and
 * fixed `fixed_version` when resolved, open-ended otherwise, urgency in `ecosystem_specific`; issues
 * that are not CVEs (`TEMP-…`), releases without a version number (sid, experimental) and
 * resolved-with-"0" (not affected) are left out, and records without any affected entry are dropped.
 * Vigil adds `aliases: [CVE]` (its de-duplication folds by alias), keeps `status`, `nodsa` and
 * `nodsa_reason`, and sets `wont_fix: true` where no fix will come (`nodsa_reason: "ignored"`, or
 * urgency "end-of-life") so that a finding can say "won't fix".
 *
 * This parser yields one record per (CVE, source package), since the file is grouped by package and
 * the parser holds one package at a time; the source merges records that share an id (a CVE fixed in
 * several source packages, e.g. linux and linux-6.1) through a bounded spill to disk, see
 * merge-records.ts.
 */

export { debianReleases };

export interface DebianTrackerParseOptions {
  /** stamped as every record's `modified`: the export carries no per-issue time */
  readonly modified: string;
  /** codename → version; defaults to `debianReleases` */
  readonly releases?: Readonly<Record<string, string>>;
  /** the largest package entry kept (the biggest, linux, is a few MB); larger ones are skipped */
  readonly maxPackageChars?: number;
}

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const STATUSES = new Set(['resolved', 'open', 'undetermined']);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalString = (value: unknown): value is string | undefined =>
  value === undefined || value === null || typeof value === 'string';

/** Streams the export; throws VIGIL_SOURCE_INVALID (after yielding what it could) if it is not one whole JSON object. */
export async function* parseDebianTracker(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: DebianTrackerParseOptions,
): AsyncGenerator<SourceItem> {
  const maxValueChars = options.maxPackageChars ?? 128 * 1024 * 1024;
  for await (const event of scanJson(input, { maxValueChars })) {
    if (event.kind === 'oversize') {
      yield skipped(event.key, `package entry of ${event.chars} characters exceeds the ${maxValueChars} limit`);
      continue;
    }
    if (event.kind !== 'member') continue;
    let issues: unknown;
    try {
      issues = JSON.parse(event.text);
    } catch (err) {
      yield skipped(event.key, `not valid JSON: ${(err as Error).message}`);
      continue;
    }
    yield* packageRecords(event.key, issues, options);
  }
}

/** The records of one source package's entry. */
export function* packageRecords(
  sourcePackage: string,
  issues: unknown,
  options: DebianTrackerParseOptions,
): Generator<SourceItem> {
  if (!isObject(issues)) {
    yield skipped(sourcePackage, 'package entry is not an object');
    return;
  }
  for (const [issueId, issue] of Object.entries(issues)) {
    // osv.dev converts only CVEs; TEMP-… ids are the tracker's placeholders for issues without one
    if (!CVE_ID.test(issueId)) continue;
    const where = `${sourcePackage}/${issueId}`;
    if (!isObject(issue)) {
      yield skipped(where, 'issue is not an object');
      continue;
    }
    const { description, scope, debianbug } = issue;
    if (!optionalString(description) || !optionalString(scope)) {
      yield skipped(where, 'description or scope is not a string');
      continue;
    }
    // the export writes an empty `releases` as [] for some issues (e.g. chromium-browser in vunnel's fixture)
    const releases = Array.isArray(issue.releases) && issue.releases.length === 0 ? {} : issue.releases;
    if (!isObject(releases)) {
      yield skipped(where, 'releases is not an object');
      continue;
    }
    const affected: OsvAffected[] = [];
    const problems: string[] = [];
    for (const [codename, release] of Object.entries(releases)) {
      const entry = affectedEntry(sourcePackage, codename, release, options.releases ?? debianReleases);
      if (typeof entry === 'string') problems.push(`${codename}: ${entry}`);
      else if (entry !== undefined) affected.push(entry);
    }
    for (const problem of problems) yield skipped(where, problem);
    if (affected.length === 0) continue;
    const record: OsvRecord = {
      schema_version: '1.7.0',
      id: `DEBIAN-${issueId}`,
      modified: options.modified,
      aliases: [issueId],
      upstream: [issueId],
      ...(description ? { details: description } : {}),
      affected,
      references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${issueId}` }],
      database_specific: {
        source: 'debian-tracker',
        ...(scope ? { scope } : {}),
        ...(typeof debianbug === 'number' ? { debianbug } : {}),
      },
    };
    yield { kind: 'osv', record };
  }
}

/** One release's verdict: an affected entry, undefined when it adds nothing, or why it is malformed. */
function affectedEntry(
  name: string,
  codename: string,
  release: unknown,
  versions: Readonly<Record<string, string>>,
): OsvAffected | undefined | string {
  if (!isObject(release)) return 'release entry is not an object';
  const { status, fixed_version: fixedVersion, urgency, nodsa, nodsa_reason: nodsaReason } = release;
  if (typeof status !== 'string' || !STATUSES.has(status)) return `unknown status ${JSON.stringify(status)}`;
  if (!optionalString(fixedVersion) || !optionalString(urgency) || !optionalString(nodsa)) {
    return 'fixed_version, urgency or nodsa is not a string';
  }
  if (!optionalString(nodsaReason)) return 'nodsa_reason is not a string';
  const version = Object.hasOwn(versions, codename) ? versions[codename] : undefined;
  if (version === undefined) return undefined;
  if (status === 'resolved' && !fixedVersion) return 'resolved without a fixed_version';
  // "resolved" with fixed_version "0": the release never had the vulnerable code
  if (status === 'resolved' && fixedVersion === '0') return undefined;
  const fixed = status === 'resolved' ? [{ fixed: fixedVersion as string }] : [];
  return {
    package: { ecosystem: `Debian:${version}`, name },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...fixed] }],
    ecosystem_specific: {
      // "not yet assigned", "unimportant", "low", "medium", "high", "end-of-life", with the tracker's
      // own "*"/"**" marks: kept verbatim, as osv.dev does
      ...(urgency ? { urgency } : {}),
      status,
      codename,
      ...(nodsa ? { nodsa } : {}),
      // "ignored": no fix is planned for this release (won't fix); "postponed": minor, left for a later update
      ...(nodsaReason ? { nodsa_reason: nodsaReason } : {}),
      // the flag the matcher reads (src/match/match-package.ts wontFix): no fix will come to this
      // release, either by decision or because the package is out of security support there
      ...(status !== 'resolved' && (nodsaReason === 'ignored' || urgency === 'end-of-life') ? { wont_fix: true } : {}),
    },
  };
}

function skipped(where: string, reason: string): SourceItem {
  return { kind: 'skipped', where: `debian-tracker:${where}`, reason };
}
