import type { Finding, Severity } from '../../core/types.ts';
import { severities } from '../../core/types.ts';
import type { ConfigOwner, ImageIdentity, NotifyEvent } from '../notify/types.ts';
import type { SeverityCounts, Store, StoreEvent } from '../store/types.ts';

/** Who a scan's events are about: the image as its registry names it, and the config's owner. */
export interface EventSubject {
  readonly scanId: string;
  readonly image: ImageIdentity;
  readonly config?: ConfigOwner;
}

export const zeroCounts = (): SeverityCounts =>
  Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;

/**
 * Stored events (the Store writes them in the transaction of the change) into the notifier's
 * shape. The notifier's event id is the store's event id, so a scan re-run after a crash that
 * dispatches again hands receivers ids they have seen and can drop.
 */
export async function toNotifyEvents(
  store: Store,
  events: readonly StoreEvent[],
  subject: EventSubject,
  known?: ReadonlyMap<number, Finding>,
): Promise<NotifyEvent[]> {
  const base = (event: StoreEvent) => ({
    id: String(event.id),
    occurredAt: event.createdAt.toISOString(),
    image: subject.image,
    ...(subject.config !== undefined && { config: subject.config }),
  });
  const newCount = events.filter((e) => e.type === 'finding.new').length;
  const resolvedCount = events.filter((e) => e.type === 'finding.resolved').length;
  // the findings the events name, in one query, unless the caller read them for many images at once
  const findings = known ?? (await findingsOf(store, findingIdsOf(events)));
  const out: NotifyEvent[] = [];
  for (const event of events) {
    const payload = event.payload;
    switch (event.type) {
      case 'finding.new':
      case 'finding.resolved': {
        const id = payload.findingId;
        const finding = typeof id === 'number' ? findings.get(id) : undefined;
        if (finding === undefined) continue;
        out.push({ ...base(event), type: event.type, scanId: subject.scanId, finding });
        break;
      }
      case 'scan.completed':
        out.push({
          ...base(event),
          type: 'scan.completed',
          scanId: subject.scanId,
          counts: (payload.counts as SeverityCounts | undefined) ?? zeroCounts(),
          newCount,
          resolvedCount,
        });
        break;
      case 'scan.failed': {
        const text = String(payload.error ?? 'unknown error');
        const code = /^(VIGIL_[A-Z_]+): /.exec(text)?.[1] ?? 'VIGIL_INTERNAL';
        out.push({
          ...base(event),
          type: 'scan.failed',
          scanId: subject.scanId,
          error: { code, message: text.replace(/^VIGIL_[A-Z_]+: /, '') },
        });
        break;
      }
      case 'image.scan-expired':
        out.push({
          ...base(event),
          type: 'image.scan-expired',
          lastScannedAt: typeof payload.lastScannedAt === 'string' ? payload.lastScannedAt : null,
          windowDays: Number(payload.windowDays ?? 30),
        });
        break;
    }
  }
  return out;
}

/** the finding ids events name */
export const findingIdsOf = (events: readonly StoreEvent[]): number[] =>
  events.map((e) => e.payload.findingId).filter((id): id is number => typeof id === 'number');

export async function findingsOf(store: Store, ids: readonly number[]): Promise<Map<number, Finding>> {
  const out = new Map<number, Finding>();
  if (ids.length === 0) return out;
  for (const [id, stored] of await store.getFindings(ids)) out.set(id, stored.finding);
  return out;
}
