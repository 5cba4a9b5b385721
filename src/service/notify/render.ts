import { type Finding, type Severity, severities } from '../../core/types.ts';
import { clipText, oneLine } from './bound.ts';
import type { ImageIdentity, Notification } from './types.ts';

/**
 * The human-readable form of a notification, shared by e-mail and Slack so both say the same
 * thing. Everything here is plain text; each channel escapes it for its own markup. Strings from
 * advisories or registries are cut to one line of bounded length.
 */

export const SUMMARY_CHARS = 500;
const FIELD_CHARS = 200;

export interface FindingLine {
  readonly id: string;
  readonly severity: Severity;
  /** "openssl 3.0.11-1" */
  readonly packageLabel: string;
  /** "fixed in 3.0.13-1" | "no fix yet" | "will not be fixed" */
  readonly fix: string;
  readonly kev: boolean;
  readonly summary?: string;
  /** http(s) only; other schemes are dropped rather than linked */
  readonly url?: string;
}

export interface MessageView {
  /** one line: a mail subject, a Slack header */
  readonly subject: string;
  readonly facts: ReadonlyArray<readonly [label: string, value: string]>;
  readonly sections: ReadonlyArray<{ readonly title: string; readonly findings: readonly FindingLine[] }>;
  /** "and 20 more not listed" */
  readonly notes: readonly string[];
}

export function imageName(image: ImageIdentity): string {
  const name =
    image.tag === undefined ? `${image.repository}@${image.digest.slice(0, 19)}` : `${image.repository}:${image.tag}`;
  return oneLine(name, FIELD_CHARS);
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function highest(counts: Readonly<Record<Severity, number>>): Severity | undefined {
  return severities.find((s) => counts[s] > 0);
}

export function findingLine(finding: Finding): FindingLine {
  const fixed = finding.fixedVersions.slice(0, 3).join(', ');
  const fix =
    finding.fixState === 'fixed' && fixed !== ''
      ? `fixed in ${fixed}`
      : finding.fixState === 'wont-fix'
        ? 'will not be fixed'
        : 'no fix yet';
  const url = finding.urls.find(linkable);
  return {
    id: oneLine(finding.id, FIELD_CHARS),
    severity: finding.severity,
    packageLabel: oneLine(`${finding.package.name} ${finding.package.version}`, FIELD_CHARS),
    fix: oneLine(fix, FIELD_CHARS),
    kev: finding.kev !== undefined,
    ...(finding.summary === undefined ? {} : { summary: oneLine(finding.summary, SUMMARY_CHARS) }),
    ...(url === undefined ? {} : { url }),
  };
}

/**
 * An http(s) URL without characters that would need escaping in any markup. A URL longer than any
 * real advisory link is skipped rather than cut: a cut URL would point elsewhere.
 */
function linkable(url: string): boolean {
  return url.length <= 2_000 && /^https?:\/\/[^\s<>"'`\\]+$/i.test(url);
}

function imageFacts(n: Notification): Array<readonly [string, string]> {
  const facts: Array<readonly [string, string]> = [
    ['Image', imageName(n.image)],
    ['Registry', oneLine(n.image.registry, FIELD_CHARS)],
    ['Digest', oneLine(n.image.digest, FIELD_CHARS)],
  ];
  if (n.config?.team !== undefined) facts.push(['Team', oneLine(n.config.team, FIELD_CHARS)]);
  if (n.config?.owner !== undefined) facts.push(['Owner', oneLine(n.config.owner, FIELD_CHARS)]);
  return facts;
}

export function renderView(n: Notification): MessageView {
  const image = imageName(n.image);
  const facts = imageFacts(n);
  switch (n.type) {
    case 'finding.new':
    case 'finding.resolved': {
      const line = findingLine(n.finding);
      const tag = n.type === 'finding.new' ? n.finding.severity : 'RESOLVED';
      const title = n.type === 'finding.new' ? 'New vulnerability' : 'Resolved vulnerability';
      return {
        subject: oneLine(`[${tag}] ${line.id} in ${image} (${line.packageLabel})`, 250),
        facts,
        sections: [{ title, findings: [line] }],
        notes: [],
      };
    }
    case 'scan.digest': {
      const top = highest(n.newBySeverity);
      const subject =
        n.newCount > 0
          ? `[${top}] ${plural(n.newCount, 'new vulnerability', 'new vulnerabilities')} in ${image}` +
            (n.resolvedCount > 0 ? `, ${n.resolvedCount} resolved` : '')
          : `[RESOLVED] ${plural(n.resolvedCount, 'vulnerability', 'vulnerabilities')} resolved in ${image}`;
      const counts = severities
        .filter((s) => n.newBySeverity[s] > 0)
        .map((s) => `${s} ${n.newBySeverity[s]}`)
        .join(', ');
      const notes: string[] = [];
      if (n.newCount > n.topNew.length) notes.push(`${n.newCount - n.topNew.length} more new findings not listed.`);
      if (n.resolvedCount > n.topResolved.length) {
        notes.push(`${n.resolvedCount - n.topResolved.length} more resolved findings not listed.`);
      }
      const sections = [];
      if (n.topNew.length > 0) sections.push({ title: 'New', findings: n.topNew.map(findingLine) });
      if (n.topResolved.length > 0) sections.push({ title: 'Resolved', findings: n.topResolved.map(findingLine) });
      return {
        subject: oneLine(subject, 250),
        facts: [
          ...facts,
          ['New', counts === '' ? '0' : `${n.newCount} (${counts})`],
          ['Resolved', String(n.resolvedCount)],
        ],
        sections,
        notes,
      };
    }
    case 'scan.completed': {
      const top = highest(n.counts);
      const counts = severities.map((s) => `${s} ${n.counts[s]}`).join(', ');
      return {
        subject: oneLine(`[${top ?? 'OK'}] Scan of ${image}: ${n.newCount} new, ${n.resolvedCount} resolved`, 250),
        facts: [...facts, ['Open findings', counts]],
        sections: [],
        notes: [],
      };
    }
    case 'scan.failed':
      return {
        subject: oneLine(`[FAILED] Scan of ${image}: ${n.error.code}`, 250),
        facts: [...facts, ['Error', oneLine(`${n.error.code}: ${n.error.message}`, SUMMARY_CHARS)]],
        sections: [],
        notes: [],
      };
    case 'image.scan-expired':
      return {
        subject: oneLine(`[EXPIRED] ${image} not scanned in ${n.windowDays} days`, 250),
        facts: [...facts, ['Last scanned', n.lastScannedAt === null ? 'never' : oneLine(n.lastScannedAt, 40)]],
        sections: [],
        notes: [],
      };
  }
}

/** The plain-text body of a view (e-mail text part, SNS-readable fallback). */
export function viewToText(view: MessageView): string {
  const lines = [view.subject, ''];
  for (const [label, value] of view.facts) lines.push(`${label}: ${value}`);
  for (const section of view.sections) {
    lines.push('', `${section.title}:`);
    for (const f of section.findings) {
      lines.push(`- [${f.severity}] ${f.id} in ${f.packageLabel}, ${f.fix}${f.kev ? ' (known exploited)' : ''}`);
      if (f.summary !== undefined) lines.push(`  ${f.summary}`);
      if (f.url !== undefined) lines.push(`  ${f.url}`);
    }
  }
  if (view.notes.length > 0) lines.push('', ...view.notes);
  return clipText(lines.join('\n'), 200_000);
}
