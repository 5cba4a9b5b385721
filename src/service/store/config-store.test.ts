import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import { toEcrConfig } from './config-store.ts';
import { dialects, type TestDatabase } from './testing.ts';
import type { ScanConfigInput, Store } from './types.ts';

const now = new Date('2026-11-01T10:00:00.750Z');
const unknownId = '00000000-0000-4000-8000-000000000000';

describe.each(dialects)('registries and scan configs on $name', (dialect) => {
  describe.skipIf(dialect.skipReason !== undefined)(dialect.skipReason ?? 'CRUD', () => {
    let db: TestDatabase;
    let store: Store;
    beforeEach(async () => {
      db = await dialect.open();
      store = db.store;
    });
    afterEach(async () => db.cleanup());

    it('stores a registry with opaque credential bytes and updates it', async () => {
      const credentials = new Uint8Array([0, 1, 2, 250, 255]);
      const created = await store.createRegistry(
        {
          name: 'prod-ecr',
          url: 'https://123456789012.dkr.ecr.us-west-2.amazonaws.com',
          kind: 'ecr',
          region: 'us-west-2',
          awsAccountId: '123456789012',
          awsRoleArn: 'arn:aws:iam::123456789012:role/vigil',
          production: true,
          credentials,
        },
        now,
      );
      expect(await store.getRegistry(created.id)).toEqual(created);
      expect(created.credentials).toEqual(credentials);
      const later = new Date(now.getTime() + 1000);
      const updated = await store.updateRegistry(created.id, { production: false, credentials: undefined }, later);
      expect(updated).toMatchObject({ production: false, region: 'us-west-2', updatedAt: later });
      expect(updated?.credentials).toBeUndefined();
      expect((await store.listRegistries()).map((r) => r.name)).toEqual(['prod-ecr']);
      expect(await store.deleteRegistry(created.id)).toBe(true);
      expect(await store.deleteRegistry(created.id)).toBe(false);
      expect(await store.getRegistry(created.id)).toBeUndefined();
    });

    it('rejects a second registry with the same name', async () => {
      await store.createRegistry({ name: 'hub', url: 'https://registry-1.docker.io', kind: 'oci' }, now);
      const error = await store
        .createRegistry({ name: 'hub', url: 'https://other.test', kind: 'oci' }, now)
        .catch((e) => e);
      expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
      const other = await store.createRegistry({ name: 'quay', url: 'https://quay.io', kind: 'oci' }, now);
      const renamed = await store.updateRegistry(other.id, { name: 'hub' }, now).catch((e) => e);
      expect(isVigilError(renamed, 'VIGIL_USAGE')).toBe(true);
      expect((await store.listRegistries()).map((r) => r.name)).toEqual(['hub', 'quay']);
    });

    const ecrShapes: Array<{ name: string; input: ScanConfigInput; tags: string[] | null }> = [
      {
        name: 'ECR config with tags',
        input: { region: 'us-west-2', registry: '123456789012', repository: 'test/ubuntu', tags: ['16.04', 'latest'] },
        tags: ['16.04', 'latest'],
      },
      {
        name: 'ECR config without tags (every tag)',
        input: { region: 'us-west-2', registry: '123456789012', repository: 'test/centos' },
        tags: null,
      },
    ];

    it.each(ecrShapes)('returns the ECR shape for an $name', async ({ input, tags }) => {
      const config = await store.createConfig(input, now);
      expect(toEcrConfig(config)).toEqual({
        id: config.id,
        created: String(Math.floor(now.getTime() / 1000)),
        region: 'us-west-2',
        registry: '123456789012',
        repository: input.repository,
        tags,
      });
      expect((await store.listConfigs()).map(toEcrConfig)).toEqual([toEcrConfig(config)]);
      expect(config).toMatchObject({ schedule: '0 0 * * *', timeZone: 'UTC' });
    });

    it('keeps the fields beyond the ECR shape and applies updates', async () => {
      const config = await store.createConfig(
        {
          registryUrl: 'https://registry.test',
          repositoryPattern: 'team-a/*',
          tagFilter: '^v\\d+',
          owner: 'team-a',
          schedule: '0 */6 * * *',
          timeZone: 'Europe/Paris',
        },
        now,
      );
      expect(await store.getConfig(config.id)).toEqual(config);
      const updated = await store.updateConfig(config.id, { owner: 'team-b', tags: ['stable'] });
      expect(updated).toMatchObject({ owner: 'team-b', tags: ['stable'], repositoryPattern: 'team-a/*' });
      expect(await store.getConfig(config.id)).toEqual(updated);
    });

    const invalid: Array<{ name: string; input: ScanConfigInput }> = [
      { name: 'region without registry', input: { region: 'us-west-2', repository: 'x' } },
      { name: 'no registry at all', input: { repository: 'x' } },
      { name: 'no repository or pattern', input: { registryUrl: 'https://registry.test' } },
    ];

    it.each(invalid)('refuses a config with $name', async ({ input }) => {
      const error = await store.createConfig(input, now).catch((e) => e);
      expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
      expect(await store.listConfigs()).toEqual([]);
    });

    it('soft-deletes a config once; unknown and malformed ids read as not found', async () => {
      const config = await store.createConfig({ registryUrl: 'https://registry.test', repository: 'app' }, now);
      expect(await store.deleteConfig(config.id, now)).toBe(true);
      expect(await store.deleteConfig(config.id, now)).toBe(false);
      expect(await store.getConfig(config.id)).toBeUndefined();
      expect(await store.listConfigs()).toEqual([]);
      expect(await store.deleteConfig(unknownId, now)).toBe(false);
      expect(await store.getConfig('not-a-uuid')).toBeUndefined();
      expect(await store.updateConfig(config.id, { owner: 'x' })).toBeUndefined();
    });
  });
});
