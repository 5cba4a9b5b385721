import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Finding, Severity } from '../../core/types.ts';
import type { FindingEvent, ImageIdentity, NotifyClock, NotifyEvent } from './types.ts';

/** Test support: findings and events with sensible defaults, a pinned clock, loopback receivers. */

export const image: ImageIdentity = {
  registry: 'registry.example.test',
  repository: 'team/app',
  tag: '1.4',
  digest: 'sha256:8e2d1d4c0b7bbf1ab2c9f2b0d3c5f44e1f7e6a1b2c3d4e5f60718293a4b5c6d7',
};

export function finding(id: string, severity: Severity, extra: Partial<Finding> = {}): Finding {
  return {
    id,
    aliases: [],
    sources: [`DEBIAN-${id}`],
    package: {
      name: 'openssl',
      version: '3.0.11-1',
      type: 'deb',
      ecosystem: 'Debian:12',
      purl: 'pkg:deb/debian/openssl@3.0.11-1',
      locations: ['var/lib/dpkg/status'],
    },
    fixedVersions: ['3.0.13-1'],
    fixState: 'fixed',
    severity,
    cvss: [],
    summary: `Summary of ${id}`,
    urls: [`https://security-tracker.debian.org/tracker/${id}`],
    ...extra,
  };
}

export function findingEvent(
  type: FindingEvent['type'],
  f: Finding,
  extra: Partial<Omit<FindingEvent, 'type' | 'finding'>> = {},
): FindingEvent {
  return {
    type,
    id: `evt-${type}-${f.id}`,
    occurredAt: '2026-12-01T10:00:00.000Z',
    scanId: 'scan-1',
    image,
    config: { configId: 'cfg-1', team: 'payments', owner: 'alice@example.test' },
    finding: f,
    ...extra,
  };
}

export const otherEvents: readonly NotifyEvent[] = [
  {
    type: 'scan.completed',
    id: 'evt-completed',
    occurredAt: '2026-12-01T10:00:01.000Z',
    scanId: 'scan-1',
    image,
    counts: { CRITICAL: 1, HIGH: 2, MEDIUM: 0, LOW: 0, NONE: 0, UNKNOWN: 0 },
    newCount: 3,
    resolvedCount: 1,
  },
  {
    type: 'scan.failed',
    id: 'evt-failed',
    occurredAt: '2026-12-01T10:00:02.000Z',
    scanId: 'scan-2',
    image,
    error: { code: 'VIGIL_REGISTRY_UNREACHABLE', message: 'registry cannot be reached' },
  },
  {
    type: 'image.scan-expired',
    id: 'evt-expired',
    occurredAt: '2026-12-01T10:00:03.000Z',
    image,
    lastScannedAt: '2026-10-01T00:00:00.000Z',
    windowDays: 30,
  },
];

/** A clock pinned at 2026-12-01T12:00:00Z whose sleeps return at once and are written down. */
export function testClock(start = Date.parse('2026-12-01T12:00:00Z')): NotifyClock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random: () => 0.5,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type Reply = (req: ReceivedRequest, res: ServerResponse) => void;

/** An HTTP receiver on 127.0.0.1 that records each request and answers with `reply`. */
export async function startReceiver(reply: Reply): Promise<{
  url: string;
  received: ReceivedRequest[];
  setReply: (next: Reply) => void;
  close: () => Promise<void>;
}> {
  const received: ReceivedRequest[] = [];
  let current = reply;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      current(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/vigil`,
    received,
    setReply: (next) => {
      current = next;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
