import { type Finding, type Severity, severities } from '../../core/types.ts';
import { severityRank } from './filter.ts';
import type { FindingEvent, Notification, NotifyEvent, ScanDigest, SeverityCounts } from './types.ts';

/**
 * Digest mode: the finding events of one scan become one message with counts and the most severe
 * findings, instead of one message per CVE. Only the events of one `dispatch` call are folded, so
 * producers pass a scan's events together. Other events pass through unchanged and in order; a
 * digest takes the place of its scan's first finding event.
 */

export const DEFAULT_DIGEST_TOP = 10;

export function foldDigests(events: readonly NotifyEvent[], top: number): Notification[] {
  const groups = new Map<string, FindingEvent[]>();
  const out: Array<Notification | string> = [];
  for (const event of events) {
    if (event.type !== 'finding.new' && event.type !== 'finding.resolved') {
      out.push(event);
      continue;
    }
    // Scan ids are unique per scan, but the image is part of the key in case a producer reuses one.
    const key = `${event.scanId}\u0000${event.image.digest}`;
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, [event]);
      out.push(key);
    } else group.push(event);
  }
  return out.map((item) => (typeof item === 'string' ? toDigest(groups.get(item)!, top) : item));
}

function toDigest(group: readonly FindingEvent[], top: number): ScanDigest {
  const first = group[0]!;
  const added = group.filter((e) => e.type === 'finding.new').map((e) => e.finding);
  const resolved = group.filter((e) => e.type === 'finding.resolved').map((e) => e.finding);
  const latest = group
    .map((e) => e.occurredAt)
    .sort()
    .at(-1)!;
  return {
    type: 'scan.digest',
    id: `digest:${first.scanId}:${first.image.digest}`,
    occurredAt: latest,
    scanId: first.scanId,
    image: first.image,
    ...(first.config === undefined ? {} : { config: first.config }),
    newCount: added.length,
    resolvedCount: resolved.length,
    newBySeverity: countBySeverity(added),
    topNew: mostSevere(added, top),
    topResolved: mostSevere(resolved, top),
    eventIds: group.map((e) => e.id),
  };
}

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts = Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

/** Most severe first; KEV-listed, then higher EPSS, then id, so the order is stable. */
export function mostSevere(findings: readonly Finding[], top: number): Finding[] {
  return [...findings]
    .sort(
      (a, b) =>
        severityRank(a.severity) - severityRank(b.severity) ||
        Number(b.kev !== undefined) - Number(a.kev !== undefined) ||
        (b.epss?.score ?? 0) - (a.epss?.score ?? 0) ||
        a.id.localeCompare(b.id),
    )
    .slice(0, Math.max(0, top));
}
