import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseChannelConfig } from '../notify/index.ts';
import { finding, findingEvent } from '../notify/testing.ts';
import { createSecretBox } from '../secrets.ts';
import { sealChannelConfig, storeDeliveryLog } from '../store/channel-store.ts';
import { dialects, type TestDatabase } from '../store/testing.ts';
import { LiveNotifier } from './live-notifier.ts';

const box = createSecretBox('k'.repeat(44));
const event = findingEvent('finding.new', finding('CVE-2026-0001', 'HIGH'));
const at = (s: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + s * 1000);

describe.each(dialects)('channels edited while the service runs, on $name', (dialect) => {
  const run = dialect.skipReason === undefined ? it : it.skip;
  let database: TestDatabase;
  let server: Server;
  /** request paths the in-test webhook receiver got */
  const received: string[] = [];
  let base = '';

  beforeEach(async () => {
    if (dialect.skipReason !== undefined) return;
    received.length = 0;
    database = await dialect.open();
    server = createServer((req, res) => {
      received.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    if (dialect.skipReason !== undefined) return;
    await new Promise((resolve) => server.close(resolve));
    await database.cleanup();
  });

  const webhook = (path: string) =>
    sealChannelConfig(
      parseChannelConfig({ id: 'x', type: 'webhook', url: `${base}${path}`, secret: 'webhook-secret-0123456789' }),
      box,
    );

  run('uses a channel from the next event on after it is created, changed, disabled or deleted', async () => {
    const store = database.store;
    const notifier = new LiveNotifier({ store, secretBox: box, fileChannels: [], log: storeDeliveryLog(store) });
    expect(await notifier.dispatch([event])).toEqual([]);

    const created = await store.createChannel({ name: 'hook', ...webhook('/one') }, at(1));
    await notifier.dispatch([event]);
    expect(received).toEqual(['/one']);

    await store.updateChannel(created.id, webhook('/two'), at(2));
    await notifier.dispatch([event]);
    expect(received).toEqual(['/one', '/two']);

    await store.updateChannel(created.id, { disabled: true }, at(3));
    expect(await notifier.dispatch([event])).toEqual([]);

    // another node's API adds one: this notifier reads it too
    const other = await database.reopen();
    await other.createChannel({ name: 'second', ...webhook('/three') }, at(4));
    await notifier.dispatch([event]);
    expect(received).toEqual(['/one', '/two', '/three']);

    await other.deleteChannel((await other.listChannels()).find((c) => c.name === 'second')?.id ?? '');
    expect(await notifier.dispatch([event])).toEqual([]);
    expect(received).toHaveLength(3);
  });

  run('keeps the channels file and leaves out a stored channel it cannot open', async () => {
    const store = database.store;
    await store.createChannel({ name: 'sealed', ...webhook('/sealed') }, at(1));
    const fileChannels = [{ id: 'from-file', type: 'webhook', url: `${base}/file`, secret: 'file-secret-0123456789' }];
    // no secret box: the stored webhook's secret cannot be opened
    const notifier = new LiveNotifier({ store, secretBox: undefined, fileChannels, log: storeDeliveryLog(store) });
    await notifier.dispatch([event]);
    expect(received).toEqual(['/file']);
    expect((await notifier.current()).channelIds).toEqual(['from-file']);
  });
});
