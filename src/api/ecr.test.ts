import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding, Severity } from '../core/types.ts';
import { aFinding, digestOf } from '../service/store/testing.ts';
import type { Store } from '../service/store/types.ts';
import { type ApiHarness, apiDialects, openHarness } from './testing.ts';
import { childrenNamed, parseXml } from './xml-check.ts';

const ubuntu1604 = digestOf(1604);
const ubuntuLatest = digestOf(2404);
const centos7 = digestOf(7);

const finding = (id: string, severity: Severity, extra: Partial<Finding> = {}): Finding => ({
  ...aFinding(id, `pkg-${id}`, severity),
  ...extra,
});

/** the walkthrough of aws-samples/amazon-ecr-continuous-scan, as stored state */
async function seedEcr(store: Store): Promise<void> {
  const now = new Date('2019-10-01T11:27:17Z');
  const registry = await store.createRegistry(
    {
      name: 'prod-ecr',
      url: 'https://123456789012.dkr.ecr.us-west-2.amazonaws.com',
      kind: 'ecr',
      region: 'us-west-2',
      awsAccountId: '123456789012',
    },
    now,
  );
  const images: Array<[string, string, string, Finding[]]> = [
    [
      'test/ubuntu',
      '16.04',
      ubuntu1604,
      [
        finding('CVE-2016-1585', 'MEDIUM', {
          summary: 'In all versions of AppArmor mount rules are accidentally widened when compiled.',
          urls: ['http://people.ubuntu.com/~ubuntu-security/cve/CVE-2016-1585'],
        }),
        finding('CVE-2024-0001', 'HIGH', {
          summary: 'a <script>alert("x")</script> & \u0007bell',
          urls: ['javascript:alert(1)'],
        }),
      ],
    ],
    ['test/ubuntu', 'latest', ubuntuLatest, [finding('CVE-2023-0002', 'LOW')]],
    [
      'test/centos',
      '7',
      centos7,
      [
        ...Array.from({ length: 7 }, (_, i) => finding(`CVE-2019-10${i}`, 'HIGH')),
        ...Array.from({ length: 20 }, (_, i) => finding(`CVE-2019-20${i}`, 'MEDIUM')),
        ...Array.from({ length: 7 }, (_, i) => finding(`CVE-2019-30${i}`, 'LOW')),
      ],
    ],
  ];
  for (const [repository, tag, digest, findings] of images) {
    await store.upsertImage({ registryId: registry.id, repository, digest }, now);
    await store.recordTag({ registryId: registry.id, repository, tag }, digest, now);
    await store.applyMatchResult(digest, findings, { complete: true, now });
  }
}

const ubuntuConfig = {
  region: 'us-west-2',
  registry: '123456789012',
  repository: 'test/ubuntu',
  tags: ['16.04', 'latest'],
};
const centosConfig = { region: 'us-west-2', registry: '123456789012', repository: 'test/centos' };
const amazonConfig = { region: 'us-west-2', registry: '123456789012', repository: 'amazonlinux', tags: ['2018.03'] };

describe.each(apiDialects)('ECR continuous-scan API on $name', (dialect) => {
  let h: ApiHarness;
  beforeEach(async (ctx) => {
    if (dialect.skipReason !== undefined) ctx.skip(dialect.skipReason);
    h = await openHarness(dialect, { now: new Date(1569927828_000) });
    await seedEcr(h.store);
  });
  afterEach(async () => {
    await h?.close();
  });

  const post = (body: unknown, path = '/configs/') =>
    h.app.inject({ method: 'POST', url: path, headers: h.auth('operator'), payload: body as object });

  it.each(['/configs/', '/configs'])(
    'POST %s answers 201 with the id, and GET /configs/ lists it as ECR did',
    async (path) => {
      const created = await post(ubuntuConfig, path);
      expect(created.statusCode).toBe(201);
      const id = /^Added scan config\. ID=([0-9a-f-]{36}) $/.exec(created.body)?.[1];
      expect(id).toBeDefined();
      expect(created.headers.location).toBe(`/api/v1/configs/${id}`);
      const listed = await h.app.inject({ url: path, headers: h.auth('viewer') });
      expect(listed.statusCode).toBe(200);
      expect(listed.body).toBe(
        `[{"id":"${id}","created":"1569927828","region":"us-west-2","registry":"123456789012","repository":"test/ubuntu","tags":["16.04","latest"]}]`,
      );
    },
  );

  it('lists tags as null when none were given, and registry_url configs with their URL', async () => {
    await post(centosConfig);
    await h.store.createRegistry({ name: 'local', url: 'https://registry.example:5000', kind: 'oci' }, new Date());
    await post({ registry_url: 'https://registry.example:5000', repository: 'team/app', tags: [] });
    const listed = JSON.parse((await h.app.inject({ url: '/configs', headers: h.auth('viewer') })).body);
    expect(listed.map((c: { tags: unknown }) => c.tags)).toEqual([null, null]);
    expect(listed.find((c: { repository: string }) => c.repository === 'team/app')).toMatchObject({
      region: null,
      registry: null,
      registry_url: 'https://registry.example:5000',
    });
  });

  it.each([
    [{ region: 'us-west-2', repository: 'x' }, /region and registry/],
    [{ repository: 'x' }, /registry_url/],
    [{ ...ubuntuConfig, extra: 1 }, /must NOT have additional properties/],
    [{ ...ubuntuConfig, tags: '16.04' }, /tags must be array/],
    [{ ...ubuntuConfig, registry: 123456789012 }, /registry must be string/],
    [
      { ...ubuntuConfig, registry: '210987654321' },
      /ECR registry 210987654321 in us-west-2 is not a configured registry/,
    ],
    [{ registry_url: 'https://elsewhere.example', repository: 'x' }, /registry URL https:\/\/elsewhere.example is not/],
  ])('refuses a bad config %j with 400 and writes nothing', async (body, message) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VIGIL_USAGE');
    expect(res.json().error.message).toMatch(message);
    expect(await h.store.listConfigs()).toEqual([]);
  });

  it.each(['/configs/', '/configs'])('DELETE %s{id} removes a config, then answers 404', async (base) => {
    const id = (await post(ubuntuConfig)).body.split('ID=')[1]?.trim();
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `${base.replace(/\/$/, '')}/${id}`,
      headers: h.auth('operator'),
    });
    expect(deleted.statusCode).toBe(200);
    const again = await h.app.inject({ method: 'DELETE', url: `/configs/${id}`, headers: h.auth('operator') });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('VIGIL_NOT_FOUND');
    const unknown = await h.app.inject({ method: 'DELETE', url: '/configs/not-a-uuid', headers: h.auth('operator') });
    expect(unknown.statusCode).toBe(404);
  });

  it.each(['/summary/', '/summary'])('GET %s prints one block per image, most severe first', async (path) => {
    await post(amazonConfig);
    await post(centosConfig);
    await post(ubuntuConfig);
    const res = await h.app.inject({ url: path, headers: h.auth('viewer') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe(
      [
        'Results for amazonlinux:2018.03 in us-west-2:\n\n\n',
        'Results for test/centos:7 in us-west-2:\n HIGH: 7\n MEDIUM: 20\n LOW: 7\n\n\n',
        'Results for test/ubuntu:16.04 in us-west-2:\n HIGH: 1\n MEDIUM: 1\n\n\n',
        'Results for test/ubuntu:latest in us-west-2:\n LOW: 1\n\n\n',
      ].join(''),
    );
  });

  it('a registry_url config summarises the tags of that registry, and a feed names it', async () => {
    const registry = await h.store.createRegistry(
      { name: 'local', url: 'https://registry.example:5000', kind: 'oci' },
      new Date(1569927828_000),
    );
    await h.store.upsertImage({ registryId: registry.id, repository: 'team/app', digest: digestOf(42) }, new Date(0));
    await h.store.recordTag({ registryId: registry.id, repository: 'team/app', tag: '1.0' }, digestOf(42), new Date(0));
    await h.store.applyMatchResult(digestOf(42), [finding('CVE-2025-1', 'CRITICAL')], {
      complete: true,
      now: new Date(0),
    });
    const id = (await post({ registry_url: 'https://registry.example:5000', repository: 'team/app' })).body
      .split('ID=')[1]
      ?.trim();
    const summary = await h.app.inject({ url: '/summary', headers: h.auth('viewer') });
    expect(summary.body).toBe('Results for team/app:1.0 in https://registry.example:5000:\n CRITICAL: 1\n\n\n');
    const feed = parseXml((await h.app.inject({ url: `/findings/${id}`, headers: h.auth('viewer') })).body);
    expect(childrenNamed(feed, 'title')[0]?.text).toBe('Repository team/app in https://registry.example:5000');
    expect(childrenNamed(feed, 'entry')).toHaveLength(1);
  });

  it('GET /findings/{id} is a well-formed Atom feed of the config', async () => {
    const id = (await post(ubuntuConfig)).body.split('ID=')[1]?.trim();
    const res = await h.app.inject({ url: `/findings/${id}`, headers: h.auth('viewer') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/atom\+xml/);
    const feed = parseXml(res.body);
    expect(feed.name).toBe('feed');
    expect(feed.attributes.xmlns).toBe('http://www.w3.org/2005/Atom');
    const text = (e: typeof feed, name: string) => childrenNamed(e, name)[0]?.text;
    expect(text(feed, 'title')).toBe('ECR repository test/ubuntu in us-west-2');
    expect(text(feed, 'id')).toBe(`urn:uuid:${id}`);
    expect(text(feed, 'updated')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(text(feed, 'subtitle')).toBe('Details of the image scan findings across the tags: [16.04] [latest] ');
    const entries = childrenNamed(feed, 'entry');
    expect(entries.map((e) => text(e, 'title'))).toEqual([
      '[HIGH] in image test/ubuntu:16.04 found CVE-2024-0001',
      '[MEDIUM] in image test/ubuntu:16.04 found CVE-2016-1585',
      '[LOW] in image test/ubuntu:latest found CVE-2023-0002',
    ]);
    const apparmor = entries[1];
    expect(childrenNamed(apparmor!, 'link')[0]?.attributes).toEqual({
      href: 'http://people.ubuntu.com/~ubuntu-security/cve/CVE-2016-1585',
      rel: 'alternate',
    });
    expect(text(apparmor!, 'summary')).toBe(
      'In all versions of AppArmor mount rules are accidentally widened when compiled.',
    );
    // hostile text: escaped, the forbidden control character dropped, the javascript: link replaced
    expect(text(entries[0]!, 'summary')).toBe('a <script>alert("x")</script> & bell');
    expect(res.body).not.toContain('<script>');
    expect(childrenNamed(entries[0]!, 'link')[0]?.attributes.href).toBe('https://osv.dev/vulnerability/CVE-2024-0001');
    expect(new Set(entries.map((e) => text(e, 'id'))).size).toBe(3);
  });

  it('GET /findings/{id} of an unknown config is 404', async () => {
    for (const id of ['fc41dda8-f15e-4826-8908-11603b01dac4', 'nope']) {
      const res = await h.app.inject({ url: `/findings/${id}`, headers: h.auth('viewer') });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('VIGIL_NOT_FOUND');
    }
  });
});
