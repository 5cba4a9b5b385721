import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.ts';
import { anInventory, dialects, digestOf, type TestDatabase } from './testing.ts';
import type { PackageKey, Store } from './types.ts';

const at = (minutes: number) => new Date(Date.parse('2026-11-01T10:00:00Z') + minutes * 60_000);

describe.each(dialects)('images, tags and inventories on $name', (dialect) => {
  describe.skipIf(dialect.skipReason !== undefined)(dialect.skipReason ?? 'image store', () => {
    let db: TestDatabase;
    let store: Store;
    let registryId: string;
    beforeEach(async () => {
      db = await dialect.open();
      store = db.store;
      registryId = (await store.createRegistry({ name: 'r', url: 'https://registry.test', kind: 'oci' }, at(0))).id;
    });
    afterEach(async () => db.cleanup());

    it('upserts an image once per (registry, repository, digest), keeping first_seen', async () => {
      const first = await store.upsertImage({ registryId, repository: 'app', digest: digestOf(1) }, at(1));
      const again = await store.upsertImage(
        { registryId, repository: 'app', digest: digestOf(1), pushedAt: at(-60) },
        at(5),
      );
      expect(again).toMatchObject({ id: first.id, firstSeen: at(1), pushedAt: at(-60) });
      const third = await store.upsertImage({ registryId, repository: 'app', digest: digestOf(1) }, at(9));
      expect(third.pushedAt).toEqual(at(-60));
      expect(await store.getImages(digestOf(1))).toHaveLength(1);
    });

    it('pages through images newest first, leaving archived ones out unless asked', async () => {
      const other = (await store.createRegistry({ name: 'r2', url: 'https://r2.test', kind: 'oci' }, at(0))).id;
      const rows = [
        { registryId, repository: 'b', digest: digestOf(2) },
        { registryId, repository: 'a', digest: digestOf(3) },
        { registryId: other, repository: 'a', digest: digestOf(3) },
        { registryId, repository: 'a', digest: digestOf(1) },
        { registryId, repository: 'c', digest: digestOf(4) },
      ];
      for (const [i, row] of rows.entries()) await store.upsertImage(row, at(i));
      await store.archiveImage(digestOf(4), at(9));
      const walk = async (filter: Parameters<Store['listImages']>[0]) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listImages(filter, cursor, 2);
          seen.push(...page.images.map((i) => `${i.repository} ${i.digest.slice(-1)}`));
          cursor = page.next;
        } while (cursor !== undefined);
        return seen;
      };
      expect(await walk({})).toEqual(['a 1', 'a 3', 'a 3', 'b 2']);
      expect(await walk({ repository: 'a', registryId: other })).toEqual(['a 3']);
      expect(await walk({ includeArchived: true })).toEqual(['c 4', 'a 1', 'a 3', 'a 3', 'b 2']);
      const error = await store.listImages({}, 'bm9wZQ', 2).catch((e) => e);
      expect(isVigilError(error, 'VIGIL_USAGE')).toBe(true);
    });

    it('lists the tags a config covers with the last re-match of their image', async () => {
      const ecr = await store.createRegistry(
        { name: 'ecr', url: 'https://1.dkr.ecr.test', kind: 'ecr', awsAccountId: '123456789012', region: 'us-west-2' },
        at(0),
      );
      for (const [tag, n] of [
        ['16.04', 1],
        ['latest', 2],
        ['old', 3],
      ] as const) {
        await store.upsertImage({ registryId: ecr.id, repository: 'test/ubuntu', digest: digestOf(n) }, at(0));
        await store.recordTag({ registryId: ecr.id, repository: 'test/ubuntu', tag }, digestOf(n), at(0));
      }
      await store.applyMatchResult(digestOf(2), [], { complete: true, now: at(5) });
      const base = { region: 'us-west-2', registry: '123456789012', repository: 'test/ubuntu' };
      const some = await store.createConfig({ ...base, tags: ['latest', '16.04'] }, at(0));
      expect(await store.tagsForConfig(some)).toEqual([
        { tag: '16.04', digest: digestOf(1) },
        { tag: 'latest', digest: digestOf(2), lastScanned: at(5) },
      ]);
      const every = await store.createConfig(base, at(0));
      expect((await store.tagsForConfig(every)).map((t) => t.tag)).toEqual(['16.04', 'latest', 'old']);
      const elsewhere = await store.createConfig({ ...base, region: 'eu-west-1' }, at(0));
      expect(await store.tagsForConfig(elsewhere)).toEqual([]);
      const byUrl = await store.createConfig(
        { registryUrl: 'https://1.dkr.ecr.test', repository: 'test/ubuntu', tags: ['old'] },
        at(0),
      );
      expect(await store.tagsForConfig(byUrl)).toEqual([{ tag: 'old', digest: digestOf(3) }]);
      // the URL as discovery compares it: case and a trailing slash aside
      const spelled = await store.createConfig(
        { registryUrl: 'HTTPS://1.dkr.ecr.test/', repository: 'test/ubuntu', tags: ['old'] },
        at(0),
      );
      expect(await store.tagsForConfig(spelled)).toEqual([{ tag: 'old', digest: digestOf(3) }]);
      await store.ping();
    });

    const tagSteps: Array<{ digest: number; moved: boolean; previous?: number }> = [
      { digest: 1, moved: false },
      { digest: 1, moved: false },
      { digest: 2, moved: true, previous: 1 },
      { digest: 2, moved: false },
      { digest: 1, moved: true, previous: 2 },
    ];

    it('records tag moves as history', async () => {
      const ref = { registryId, repository: 'app', tag: 'latest' };
      for (const [i, step] of tagSteps.entries()) {
        const result = await store.recordTag(ref, digestOf(step.digest), at(i));
        expect(result, `step ${i}`).toEqual(
          step.moved ? { moved: true, previousDigest: digestOf(step.previous ?? 0) } : { moved: false },
        );
      }
      expect(await store.tagHistory(ref)).toEqual([
        { digest: digestOf(1), seenAt: at(0), replacedAt: at(2) },
        { digest: digestOf(2), seenAt: at(2), replacedAt: at(4) },
        { digest: digestOf(1), seenAt: at(4) },
      ]);
      expect(await store.tagHistory({ ...ref, tag: 'other' })).toEqual([]);
    });

    it('saves an inventory with its package index and replaces both on re-index', async () => {
      const digest = digestOf(1);
      await store.upsertImage({ registryId, repository: 'app', digest }, at(0));
      const v1 = anInventory(digest, [
        { name: 'libssl3', sourceName: 'openssl' },
        { name: 'zlib1g', sourceName: 'zlib' },
      ]);
      await store.saveInventory(digest, v1, 'key-1', at(1));
      expect(await store.getInventory(digest)).toEqual({ inventory: v1, extractorKey: 'key-1' });
      expect(await store.imagesAffectedBy([{ ecosystem: 'Debian:12', name: 'openssl' }])).toEqual([digest]);

      const v2 = anInventory(digest, [{ name: 'curl' }]);
      await store.saveInventory(digest, v2, 'key-2', at(2));
      expect(await store.imagesAffectedBy([{ ecosystem: 'Debian:12', name: 'openssl' }])).toEqual([]);
      expect(await store.imagesAffectedBy([{ ecosystem: 'Debian:12', name: 'curl' }])).toEqual([digest]);
      expect((await store.getImages(digest))[0]).toMatchObject({ lastIndexed: at(2), extractorKey: 'key-2' });
      const many = await store.getImagesOf([digest, digestOf(77), digest]);
      expect([...many.keys()]).toEqual([digest, digestOf(77)]);
      expect(many.get(digest)).toEqual(await store.getImages(digest));
      expect(many.get(digestOf(77))).toEqual([]);
    });

    const lookups: Array<{ name: string; keys: PackageKey[]; hits: number[] }> = [
      { name: 'a distro source package', keys: [{ ecosystem: 'Debian:12', name: 'openssl' }], hits: [1, 2] },
      { name: 'a binary package name', keys: [{ ecosystem: 'Debian:11', name: 'libssl3' }], hits: [1, 2] },
      { name: 'a package of one image only', keys: [{ ecosystem: 'Debian', name: 'zlib' }], hits: [2] },
      { name: 'npm, case-insensitively', keys: [{ ecosystem: 'npm', name: 'Lodash' }], hits: [3] },
      { name: 'PyPI, PEP 503 normalised', keys: [{ ecosystem: 'PyPI', name: 'Python_Dateutil' }], hits: [3] },
      { name: 'another distro', keys: [{ ecosystem: 'Alpine:v3.19', name: 'openssl' }], hits: [] },
      {
        name: 'several keys at once',
        keys: [
          { ecosystem: 'npm', name: 'lodash' },
          { ecosystem: 'Debian:12', name: 'zlib' },
        ],
        hits: [2, 3],
      },
      { name: 'nothing', keys: [], hits: [] },
    ];

    it.each(lookups)('finds the images affected by $name', async ({ keys, hits }) => {
      const inventories = [
        anInventory(digestOf(1), [{ name: 'libssl3', sourceName: 'openssl' }]),
        anInventory(digestOf(2), [{ name: 'libssl3', sourceName: 'openssl' }, { name: 'zlib' }]),
        anInventory(digestOf(3), [
          { name: 'lodash', type: 'npm', ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.20' },
          { name: 'python-dateutil', type: 'pypi', purl: 'pkg:pypi/python-dateutil@2.8.0' },
        ]),
      ];
      for (const [i, inventory] of inventories.entries()) {
        await store.upsertImage({ registryId, repository: 'app', digest: digestOf(i + 1) }, at(0));
        await store.saveInventory(digestOf(i + 1), inventory, 'k', at(0));
      }
      expect(await store.imagesAffectedBy(keys)).toEqual(hits.map(digestOf));
    });

    it('gives a DB delta the packages under the keys it hit, and the inventory header', async () => {
      const digest = digestOf(1);
      await store.upsertImage({ registryId, repository: 'app', digest }, at(0));
      const inventory = anInventory(digest, [
        { name: 'libssl3', sourceName: 'openssl' },
        { name: 'openssl', sourceName: 'openssl' },
        { name: 'zlib1g', sourceName: 'zlib' },
        { name: 'curl', version: '7.88.1-10+deb12u5+esm1' },
      ]);
      await store.saveInventory(digest, inventory, 'k', at(0));
      const [libssl3, openssl, , curl] = inventory.packages;
      const affected = await store.affectedPackages([
        { ecosystem: 'Debian:12', name: 'openssl' },
        { ecosystem: 'Debian:12', name: 'libssl3' },
      ]);
      const arrays = (affected.get(digest) ?? []).map((json) => JSON.parse(json)).sort((a, b) => b.length - a.length);
      // "openssl" keys both packages (one by binary and source name, one by source name); "libssl3" one
      expect(arrays).toEqual([[libssl3, openssl], [libssl3]]);
      expect([...(await store.affectedPackages([{ ecosystem: 'Debian', name: 'curl' }])).values()]).toEqual([
        [JSON.stringify([curl])],
      ]);
      const headers = await store.inventoryHeaders([digest, digestOf(9)]);
      expect([...headers.keys()]).toEqual([digest]);
      expect(headers.get(digest)).toEqual({ header: { ...inventory, packages: [] }, ubuntuPro: true });
    });

    it('leaves archived images out of a DB delta', async () => {
      await store.upsertImage({ registryId, repository: 'app', digest: digestOf(1) }, at(0));
      await store.saveInventory(digestOf(1), anInventory(digestOf(1), [{ name: 'curl' }]), 'k', at(0));
      await store.archiveImage(digestOf(1), at(1));
      expect(await store.imagesAffectedBy([{ ecosystem: 'Debian:12', name: 'curl' }])).toEqual([]);
    });
  });
});
