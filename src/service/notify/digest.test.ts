import { describe, expect, it } from 'vitest';
import { foldDigests, mostSevere } from './digest.ts';
import { finding, findingEvent, image, otherEvents } from './testing.ts';
import type { ScanDigest } from './types.ts';

describe('foldDigests', () => {
  it('folds each scan into one digest in place of its first finding event; other events pass', () => {
    const other = { ...image, digest: 'sha256:ffff' };
    const events = [
      otherEvents[2]!,
      findingEvent('finding.new', finding('CVE-A', 'LOW')),
      findingEvent('finding.new', finding('CVE-B', 'CRITICAL'), { occurredAt: '2026-12-01T11:00:00.000Z' }),
      findingEvent('finding.new', finding('CVE-C', 'HIGH'), { scanId: 'scan-2', image: other }),
      findingEvent('finding.resolved', finding('CVE-D', 'MEDIUM')),
      otherEvents[0]!,
    ];
    const out = foldDigests(events, 1);
    expect(out.map((n) => n.type)).toEqual(['image.scan-expired', 'scan.digest', 'scan.digest', 'scan.completed']);
    const first = out[1] as ScanDigest;
    expect(first).toMatchObject({
      id: `digest:scan-1:${image.digest}`,
      occurredAt: '2026-12-01T11:00:00.000Z',
      newCount: 2,
      resolvedCount: 1,
      newBySeverity: { CRITICAL: 1, HIGH: 0, MEDIUM: 0, LOW: 1, NONE: 0, UNKNOWN: 0 },
      eventIds: ['evt-finding.new-CVE-A', 'evt-finding.new-CVE-B', 'evt-finding.resolved-CVE-D'],
    });
    expect(first.topNew.map((f) => f.id)).toEqual(['CVE-B']);
    expect(first.topResolved.map((f) => f.id)).toEqual(['CVE-D']);
    expect((out[2] as ScanDigest).image.digest).toBe('sha256:ffff');
  });

  it('orders the top findings by severity, then KEV, then EPSS, then id', () => {
    const top = mostSevere(
      [
        finding('CVE-1', 'HIGH'),
        finding('CVE-2', 'HIGH', { epss: { score: 0.9, percentile: 0.99 } }),
        finding('CVE-3', 'HIGH', { kev: { dateAdded: '2026-01-01' } }),
        finding('CVE-4', 'CRITICAL'),
        finding('CVE-0', 'HIGH'),
        finding('CVE-5', 'UNKNOWN'),
      ],
      5,
    );
    expect(top.map((f) => f.id)).toEqual(['CVE-4', 'CVE-3', 'CVE-2', 'CVE-0', 'CVE-1']);
  });
});
