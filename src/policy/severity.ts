import { VigilError } from '../core/errors.ts';
import { type Finding, type Severity, severities } from '../core/types.ts';

/** `--severity HIGH,CRITICAL` as Trivy reads it: comma-separated, case-insensitive, spaces allowed. */
export function parseSeverityList(text: string): Severity[] {
  const names = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (names.length === 0) throw new VigilError('VIGIL_USAGE', '--severity needs at least one severity');
  return [...new Set(names.map((name) => parseSeverity(name, '--severity')))];
}

/** One severity name (`--fail-on HIGH`), case-insensitive. */
export function parseSeverity(text: string, flag = '--fail-on'): Severity {
  const upper = text.trim().toUpperCase();
  const found = severities.find((severity) => severity === upper);
  if (found === undefined) {
    throw new VigilError('VIGIL_USAGE', `${flag}: unknown severity "${text}" (one of ${severities.join(', ')})`, {
      flag,
      value: text,
    });
  }
  return found;
}

/** -1 when a is more severe than b; `severities` is ordered most severe first. */
export function compareSeverity(a: Severity, b: Severity): number {
  return severities.indexOf(a) - severities.indexOf(b);
}

/**
 * True when `severity` is at or above `threshold`. UNKNOWN ranks below LOW and NONE: a finding
 * whose severity nobody rated does not fail a `--fail-on LOW` gate, as in Trivy and Grype, but
 * does fail `--fail-on UNKNOWN`, which therefore means "any finding at all".
 */
export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return compareSeverity(severity, threshold) <= 0;
}

export function filterBySeverity(findings: readonly Finding[], keep: readonly Severity[]): Finding[] {
  const wanted = new Set(keep);
  return findings.filter((finding) => wanted.has(finding.severity));
}

/** `--ignore-unfixed`: drops findings with no fix yet and those the distro will not fix (Trivy drops both). */
export function dropUnfixed(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => finding.fixState === 'fixed');
}

/**
 * `--fail-on SEVERITY`: true when a finding at or above the threshold remains after filters and
 * suppressions; the CLI then exits with ExitCode.findings (1, core/errors.ts).
 */
export function shouldFail(findings: readonly Finding[], threshold: Severity): boolean {
  return findings.some((finding) => atOrAbove(finding.severity, threshold));
}
