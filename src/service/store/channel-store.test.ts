import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import { deliveryLogContract } from '../notify/delivery-log-contract.ts';
import { parseChannelConfig } from '../notify/index.ts';
import { createSecretBox } from '../secrets.ts';
import { openChannelConfig, sealChannelConfig, storeDeliveryLog } from './channel-store.ts';
import { dialects, type TestDatabase } from './testing.ts';
import type { Store } from './types.ts';

const now = new Date('2026-12-01T10:00:00.000Z');
const unknownId = '00000000-0000-4000-8000-000000000000';
const box = createSecretBox('k'.repeat(44));

const secretConfigs = [
  {
    name: 'webhook',
    config: {
      id: 'x',
      type: 'webhook',
      url: 'https://hooks.example.test/vigil',
      secret: 'webhook-secret-0123456789',
      headers: { Authorization: 'Bearer header-secret-value' },
      filter: { minSeverity: 'HIGH' },
      digest: { top: 5 },
    },
    secrets: ['webhook-secret-0123456789', 'Bearer header-secret-value'],
  },
  {
    name: 'slack',
    config: { id: 'x', type: 'slack', url: 'https://hooks.slack.com/services/T000/B000/slack-path-secret' },
    secrets: ['slack-path-secret'],
  },
  {
    name: 'email',
    config: {
      id: 'x',
      type: 'email',
      smtp: { host: 'smtp.example.test', user: 'vigil', password: 'smtp-password-secret' },
      from: 'vigil@example.test',
      to: ['team@example.test'],
    },
    secrets: ['smtp-password-secret'],
  },
  {
    name: 'sns',
    config: { id: 'x', type: 'sns', region: 'us-west-2', topicArn: 'arn:aws:sns:us-west-2:123456789012:t' },
    secrets: [],
  },
];

describe.each(dialects)('channels and deliveries on $name', (dialect) => {
  describe.skipIf(dialect.skipReason !== undefined)(dialect.skipReason ?? 'store', () => {
    let db: TestDatabase;
    let store: Store;
    beforeEach(async () => {
      db = await dialect.open();
      store = db.store;
    });
    afterEach(async () => db.cleanup());

    it.each(secretConfigs)('keeps a $name channel with its secrets sealed and opens it again', async (example) => {
      const config = parseChannelConfig(example.config);
      const created = await store.createChannel({ name: example.name, ...sealChannelConfig(config, box) }, now);
      const stored = await store.getChannel(created.id);
      expect(stored).toEqual(created);
      const visible = JSON.stringify({ ...stored, secrets: undefined });
      for (const secret of example.secrets) expect(visible).not.toContain(secret);
      expect(stored?.secrets !== undefined).toBe(example.secrets.length > 0);
      expect(openChannelConfig(stored!, box)).toEqual({ ...config, id: created.id });
    });

    it('refuses to seal secrets without a key, but stores a channel that has none', async () => {
      const webhook = parseChannelConfig(secretConfigs[0]!.config);
      expect(
        isVigilError(
          (() => {
            try {
              sealChannelConfig(webhook, undefined);
            } catch (e) {
              return e;
            }
          })(),
          'VIGIL_USAGE',
        ),
      ).toBe(true);
      const sns = parseChannelConfig(secretConfigs[3]!.config);
      const created = await store.createChannel({ name: 'sns', ...sealChannelConfig(sns, undefined) }, now);
      expect(openChannelConfig(created, undefined)).toEqual({ ...sns, id: created.id });
    });

    it('lists by name, updates, disables, rejects a taken name and deletes', async () => {
      const sns = sealChannelConfig(parseChannelConfig(secretConfigs[3]!.config), undefined);
      const b = await store.createChannel({ name: 'b', ...sns }, now);
      const a = await store.createChannel({ name: 'a', ...sns, disabled: true }, now);
      expect((await store.listChannels()).map((c) => c.name)).toEqual(['a', 'b']);
      expect(a.disabledAt).toEqual(now);
      const later = new Date(now.getTime() + 1000);
      const enabled = await store.updateChannel(a.id, { disabled: false, name: 'c' }, later);
      expect(enabled).toMatchObject({ name: 'c', updatedAt: later });
      expect(enabled?.disabledAt).toBeUndefined();
      const taken = await store.updateChannel(b.id, { name: 'c' }, later).catch((e) => e);
      expect(isVigilError(taken, 'VIGIL_USAGE')).toBe(true);
      const again = await store.createChannel({ name: 'b', ...sns }, now).catch((e) => e);
      expect(isVigilError(again, 'VIGIL_USAGE')).toBe(true);
      expect(await store.updateChannel(unknownId, { name: 'z' }, later)).toBeUndefined();
      expect(await store.getChannel('not-a-uuid')).toBeUndefined();
      expect(await store.deleteChannel(b.id)).toBe(true);
      expect(await store.deleteChannel(b.id)).toBe(false);
      expect((await store.listChannels()).map((c) => c.name)).toEqual(['c']);
    });

    it('pages deliveries oldest first by state', async () => {
      const log = storeDeliveryLog(store);
      for (let i = 0; i < 5; i++) {
        await log.create({
          id: `d${i}`,
          channelId: 'hook',
          channelType: 'webhook',
          notificationType: 'finding.new',
          notificationId: `e${i}`,
          eventIds: [`e${i}`],
          createdAt: new Date(now.getTime() + (i % 2) * 1000).toISOString(),
          message: { content: {}, request: { target: 't', headers: {}, body: '' } },
        });
        if (i !== 2) await log.markFailed(`d${i}`, now.toISOString(), 'HTTP 500');
      }
      const first = await store.listDeliveries({ state: 'failed' }, undefined, 2);
      expect(first.deliveries.map((d) => d.id)).toEqual(['d0', 'd4']);
      const second = await store.listDeliveries({ state: 'failed' }, first.next, 2);
      expect(second.deliveries.map((d) => d.id)).toEqual(['d1', 'd3']);
      expect(second.next).toBeUndefined();
      expect((await store.listDeliveries({ state: 'pending' })).deliveries.map((d) => d.id)).toEqual(['d2']);
      await expect(store.listDeliveries({}, 'garbage')).rejects.toThrow(/cursor/);
    });

    describe('DeliveryLog contract', () => {
      deliveryLogContract(async () => storeDeliveryLog(store));
    });
  });
});
