import { describe, expect, it } from 'vitest';
import { aFinding, anInventory, digestOf } from '../service/store/testing.ts';
import { CREDENTIALS_PURPOSE } from './admin-routes.ts';
import { type ApiHarness, apiDialects, FIXED_NOW, harnessPerTest, openHarness } from './testing.ts';

const password = 'hunter2-very-secret-password';

describe.each(apiDialects)('/api/v1 on $name', (dialect) => {
  let h: ApiHarness;
  harnessPerTest(dialect, { set: (opened) => (h = opened), get: () => h });

  const as = (
    role: 'viewer' | 'operator' | 'admin',
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
  ) => h.app.inject({ method, url, headers: h.auth(role), ...(payload !== undefined && { payload }) });

  async function seedImages(count: number, repository = 'team/app') {
    const registry = await h.store.createRegistry(
      { name: `r-${repository}`, url: 'https://r.example', kind: 'oci' },
      FIXED_NOW,
    );
    for (let n = 1; n <= count; n++) {
      await h.store.upsertImage(
        { registryId: registry.id, repository, digest: digestOf(n) },
        new Date(FIXED_NOW.getTime() + n),
      );
    }
    return registry;
  }

  describe('registries', () => {
    it('encrypts credentials at rest and never returns or logs them', async () => {
      const created = await as('admin', 'POST', '/api/v1/registries', {
        name: 'harbor',
        url: 'https://harbor.example',
        kind: 'oci',
        credentials: { username: 'robot', password },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ name: 'harbor', hasCredentials: true, production: false });
      const stored = await h.store.getRegistry(created.json().id);
      expect(Buffer.from(stored?.credentials ?? []).includes(Buffer.from(password))).toBe(false);
      expect(JSON.parse(h.secretBox.open(stored?.credentials as Uint8Array, CREDENTIALS_PURPOSE))).toEqual({
        username: 'robot',
        password,
      });
      const bodies = [
        created.body,
        (await as('admin', 'GET', '/api/v1/registries')).body,
        (await as('admin', 'GET', `/api/v1/registries/${created.json().id}`)).body,
        (await as('admin', 'PATCH', `/api/v1/registries/${created.json().id}`, { production: true })).body,
      ];
      for (const body of bodies) {
        expect(body).not.toContain(password);
        expect(body).not.toContain('credentials');
      }
      expect(h.logLines.join('')).not.toContain(password);
      const cleared = await as('admin', 'PATCH', `/api/v1/registries/${created.json().id}`, { credentials: null });
      expect(cleared.json()).toMatchObject({ hasCredentials: false, production: true });
    });

    it('refuses credentials when VIGIL_SECRET_KEY is unset, and stores nothing', async () => {
      await h.close();
      h = await openHarness(dialect, { secretBox: null });
      const res = await as('admin', 'POST', '/api/v1/registries', {
        name: 'harbor',
        url: 'https://harbor.example',
        kind: 'oci',
        credentials: { token: password },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain('VIGIL_SECRET_KEY');
      expect(res.body).not.toContain(password);
      expect(await h.store.listRegistries()).toEqual([]);
      const plain = await as('admin', 'POST', '/api/v1/registries', {
        name: 'pub',
        url: 'https://pub.example',
        kind: 'oci',
      });
      expect(plain.statusCode).toBe(201);
    });

    it.each([
      [{ name: 'x', url: 'https://x', kind: 'oci', credentials: { username: 'only' } }, /username and password/],
      [{ name: 'x', url: 'https://x', kind: 'oci', credentials: { password, token: password } }, /token alone/],
      [{ name: 'x', url: 'https://x', kind: 'oci', credentials: { password } }, /username and password/],
      [
        { name: 'x', url: 'https://x', kind: 'oci', credentials: { token: `${password}\r\nX: 1` } },
        /must match pattern/,
      ],
      [
        { name: 'x', url: 'https://x', kind: 'oci', credentials: { username: 'u', identityToken: password } },
        /identityToken alone/,
      ],
      [{ name: 'x', url: 'ftp://x', kind: 'oci' }, /url must match pattern/],
      [{ name: 'x', url: 'https://x', kind: 'gcr' }, /kind must be equal to one of the allowed values/],
      [{ name: 'x', url: 'https://x', kind: 'oci', credentials: { password, extra: 1 } }, /additional properties/],
    ])('refuses %j', async (body, message) => {
      const res = await as('admin', 'POST', '/api/v1/registries', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(message);
      expect(res.body).not.toContain(password);
      expect(h.logLines.join('')).not.toContain(password);
    });

    it('a taken name is 400 and an unknown id 404', async () => {
      const body = { name: 'dup', url: 'https://d.example', kind: 'oci' };
      expect((await as('admin', 'POST', '/api/v1/registries', body)).statusCode).toBe(201);
      const again = await as('admin', 'POST', '/api/v1/registries', body);
      expect(again.statusCode).toBe(400);
      expect(again.json().error.message).toContain('already exists');
      const unknown = 'fc41dda8-f15e-4826-8908-11603b01dac4';
      expect((await as('admin', 'GET', `/api/v1/registries/${unknown}`)).statusCode).toBe(404);
      expect((await as('admin', 'DELETE', `/api/v1/registries/${unknown}`)).statusCode).toBe(404);
    });
  });

  describe('configs', () => {
    it('round-trips the full shape with a daily UTC default', async () => {
      await h.store.createRegistry({ name: 'r', url: 'https://r.example/', kind: 'oci' }, FIXED_NOW);
      const created = await as('operator', 'POST', '/api/v1/configs', {
        registryUrl: 'https://r.example',
        repositoryPattern: 'team/**',
        tagFilter: 'v*',
        owner: 'payments',
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ schedule: '0 0 * * *', timeZone: 'UTC', tags: null, owner: 'payments' });
      const id = created.json().id;
      const patched = await as('operator', 'PATCH', `/api/v1/configs/${id}`, {
        schedule: '30 2 * * 1-5',
        timeZone: 'Europe/Berlin',
      });
      expect(patched.json()).toMatchObject({
        schedule: '30 2 * * 1-5',
        timeZone: 'Europe/Berlin',
        repositoryPattern: 'team/**',
      });
      expect((await as('viewer', 'GET', `/api/v1/configs/${id}`)).json()).toEqual(patched.json());
      expect((await as('operator', 'DELETE', `/api/v1/configs/${id}`)).statusCode).toBe(204);
      expect((await as('viewer', 'GET', `/api/v1/configs/${id}`)).statusCode).toBe(404);
    });

    it('refuses a config whose registry is not configured, saying how to add it, and writes nothing', async () => {
      const ecr = { region: 'us-west-2', registry: '123456789012', repository: 'a' };
      for (const body of [{ registryUrl: 'https://unknown.example', repository: 'a' }, ecr]) {
        const res = await as('operator', 'POST', '/api/v1/configs', body);
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toMatchObject({
          code: 'VIGIL_USAGE',
          message: expect.stringMatching(
            /is not a configured registry: an admin adds it first with POST \/api\/v1\/registries/,
          ),
        });
      }
      expect(await h.store.listConfigs()).toEqual([]);
      // an ECR registry of the account in another region is not this one
      await h.store.createRegistry(
        {
          name: 'ecr',
          url: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
          kind: 'ecr',
          region: 'eu-west-1',
          awsAccountId: '123456789012',
        },
        FIXED_NOW,
      );
      expect((await as('operator', 'POST', '/api/v1/configs', ecr)).statusCode).toBe(400);
      const created = await as('operator', 'POST', '/api/v1/configs', { ...ecr, region: 'eu-west-1' });
      expect(created.statusCode).toBe(201);
      // a PATCH moving the config to an unknown registry is refused and changes nothing
      const id = created.json().id;
      const moved = await as('operator', 'PATCH', `/api/v1/configs/${id}`, { registryUrl: 'https://unknown.example' });
      expect(moved.statusCode).toBe(400);
      expect(moved.json().error.message).toContain('registry URL https://unknown.example is not a configured registry');
      expect((await as('viewer', 'GET', `/api/v1/configs/${id}`)).json()).toEqual(created.json());
      // a PATCH that leaves the registry alone needs no lookup to pass
      expect((await as('operator', 'PATCH', `/api/v1/configs/${id}`, { owner: 'payments' })).statusCode).toBe(200);
    });

    it.each([
      [{ registryUrl: 'https://r', repository: 'a', schedule: 'every day' }, /not a cron expression/],
      [{ registryUrl: 'https://r', repository: 'a', timeZone: 'Mars/Olympus' }, /not an IANA time zone/],
      [{ registryUrl: 'https://r' }, /repository or a repository pattern/],
      [{ registryUrl: 'https://r', repository: 'a', tags: [1] }, /must be string/],
      [{ registryUrl: 'https://r', repository: 'a', colour: 'red' }, /additional properties/],
    ])('refuses %j and writes nothing', async (body, message) => {
      const res = await as('operator', 'POST', '/api/v1/configs', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VIGIL_USAGE', message: expect.stringMatching(message) });
      expect(await h.store.listConfigs()).toEqual([]);
    });
  });

  describe('images, SBOMs and scans', () => {
    it('pages images newest first and filters by repository', async () => {
      await seedImages(5);
      await seedImages(2, 'other/app');
      const seen: string[] = [];
      let url = '/api/v1/images?repository=team%2Fapp&limit=2';
      for (let pages = 0; pages < 10; pages++) {
        const body = (await as('viewer', 'GET', url)).json();
        seen.push(...body.images.map((i: { digest: string }) => i.digest));
        if (body.next === undefined) break;
        url = `/api/v1/images?repository=team%2Fapp&limit=2&cursor=${body.next}`;
      }
      expect(seen).toEqual([5, 4, 3, 2, 1].map(digestOf));
      const all = (await as('viewer', 'GET', '/api/v1/images?limit=500')).json();
      expect(all.images).toHaveLength(7);
      expect(all.next).toBeUndefined();
      expect((await as('viewer', 'GET', '/api/v1/images?cursor=bogus')).statusCode).toBe(400);
    });

    it.each([
      ['cyclonedx', /^application\/vnd\.cyclonedx\+json/, (d: Record<string, unknown>) => d.bomFormat === 'CycloneDX'],
      ['spdx', /^application\/spdx\+json/, (d: Record<string, unknown>) => d.spdxVersion === 'SPDX-2.3'],
      ['json', /^application\/vnd\.vigil\.inventory\+json/, (d: Record<string, unknown>) => d.schemaVersion === 1],
    ])('downloads the stored inventory as %s', async (format, type, check) => {
      await seedImages(1);
      await h.store.saveInventory(digestOf(1), anInventory(digestOf(1), [{ name: 'openssl' }]), 'k', FIXED_NOW);
      const res = await as('viewer', 'GET', `/api/v1/images/${digestOf(1)}/sbom?format=${format}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(type);
      expect(res.headers['content-disposition']).toContain('attachment');
      expect(check(res.json())).toBe(true);
      expect(res.body).toContain('openssl');
    });

    it('SBOM errors: unknown format 400, no inventory 404', async () => {
      await seedImages(1);
      expect((await as('viewer', 'GET', `/api/v1/images/${digestOf(1)}/sbom?format=table`)).statusCode).toBe(400);
      expect((await as('viewer', 'GET', `/api/v1/images/${digestOf(1)}/sbom`)).statusCode).toBe(404);
      expect((await as('viewer', 'GET', '/api/v1/images/not-a-digest/sbom')).statusCode).toBe(400);
    });

    it('queues a scan through the scan queue with 202 and lists it', async () => {
      await seedImages(1);
      const res = await as('operator', 'POST', `/api/v1/images/${digestOf(1)}/scan`);
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ digest: digestOf(1), status: 'queued' });
      expect(h.queued).toEqual([{ scanId: res.json().id, digest: digestOf(1), requestedBy: 'operator-token' }]);
      expect((await as('viewer', 'GET', `/api/v1/scans/${res.json().id}`)).json().status).toBe('queued');
      const listed = (await as('viewer', 'GET', `/api/v1/scans?digest=${digestOf(1)}`)).json();
      expect(listed.scans.map((s: { id: string }) => s.id)).toEqual([res.json().id]);
      expect((await as('operator', 'POST', `/api/v1/images/${digestOf(9)}/scan`)).statusCode).toBe(404);
      const detail = (await as('viewer', 'GET', `/api/v1/images/${digestOf(1)}`)).json();
      expect(detail.images).toHaveLength(1);
      expect(detail.openFindings.HIGH).toBe(0);
    });

    it('a queue that fails leaves the scan failed, not queued forever, and answers 503', async () => {
      await h.close();
      h = await openHarness(dialect, {
        scanQueue: {
          enqueue: async () => {
            throw new Error('queue down');
          },
        },
      });
      await seedImages(1);
      const res = await as('operator', 'POST', `/api/v1/images/${digestOf(1)}/scan`);
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('VIGIL_UNAVAILABLE');
      const scans = await h.store.listScans({ digest: digestOf(1) });
      expect(scans.map((s) => s.status)).toEqual(['failed']);
    });
  });

  describe('findings, summary and events', () => {
    async function seedFindings() {
      await seedImages(2);
      await h.store.applyMatchResult(
        digestOf(1),
        [
          aFinding('CVE-1', 'a', 'CRITICAL', { kev: { dateAdded: '2026-01-01' }, fixState: 'fixed' }),
          aFinding('CVE-2', 'b', 'HIGH'),
          aFinding('CVE-3', 'c', 'LOW', { fixState: 'fixed' }),
        ],
        { complete: true, now: FIXED_NOW },
      );
      await h.store.applyMatchResult(digestOf(2), [aFinding('CVE-2', 'b', 'HIGH'), aFinding('CVE-4', 'd', 'MEDIUM')], {
        complete: true,
        now: FIXED_NOW,
      });
    }
    const ids = (body: { findings: Array<{ vulnerabilityId: string }> }) => body.findings.map((f) => f.vulnerabilityId);

    it.each([
      ['', ['CVE-1', 'CVE-2', 'CVE-2', 'CVE-4', 'CVE-3']],
      ['severity=HIGH,CRITICAL', ['CVE-1', 'CVE-2', 'CVE-2']],
      ['fixAvailable=true', ['CVE-1', 'CVE-3']],
      ['kev=true', ['CVE-1']],
      ['kev=false&severity=LOW', ['CVE-3']],
      ['state=resolved', []],
      [`digest=${digestOf(2)}`, ['CVE-2', 'CVE-4']],
      ['repository=team%2Fapp&severity=MEDIUM', ['CVE-4']],
      ['repository=nobody', []],
    ])('filters findings by %s', async (query, expected) => {
      await seedFindings();
      const res = await as('viewer', 'GET', `/api/v1/findings?${query}`);
      expect(res.statusCode).toBe(200);
      expect(ids(res.json())).toEqual(expected);
    });

    it('pages findings with a cursor, without gaps or repeats', async () => {
      await seedFindings();
      const seen: string[] = [];
      let url = '/api/v1/findings?limit=2';
      for (let pages = 0; pages < 10; pages++) {
        const body = (await as('viewer', 'GET', url)).json();
        seen.push(...body.findings.map((f: { id: number }) => String(f.id)));
        if (body.next === undefined) break;
        url = `/api/v1/findings?limit=2&cursor=${encodeURIComponent(body.next)}`;
      }
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
    });

    it('suppresses a finding as the calling token, and counts it', async () => {
      await seedFindings();
      const first = (await as('viewer', 'GET', '/api/v1/findings?limit=1')).json().findings[0];
      const res = await as('operator', 'POST', `/api/v1/findings/${first.id}/suppress`, { reason: 'not reachable' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        state: 'suppressed',
        suppression: { reason: 'not reachable', by: 'operator-token' },
      });
      const summary = (await as('viewer', 'GET', '/api/v1/summary')).json();
      expect(summary.counts.suppressed.CRITICAL).toBe(1);
      expect(summary.counts.open).toMatchObject({ CRITICAL: 0, HIGH: 2, MEDIUM: 1, LOW: 1 });
      expect(summary.images).toBe(2);
      expect((await as('viewer', 'GET', `/api/v1/findings/${first.id}`)).json().state).toBe('suppressed');
      expect((await as('viewer', 'GET', '/api/v1/findings/999999')).statusCode).toBe(404);
    });

    it('pages events in id order with next = the last id', async () => {
      await seedFindings();
      const all: number[] = [];
      let url = '/api/v1/events?type=finding.new&limit=2';
      for (let pages = 0; pages < 10; pages++) {
        const body = (await as('viewer', 'GET', url)).json();
        all.push(...body.events.map((e: { id: number }) => e.id));
        if (body.next === undefined) break;
        url = `/api/v1/events?type=finding.new&limit=2&after=${body.next}`;
      }
      expect(all).toHaveLength(5);
      expect([...all].sort((a, b) => a - b)).toEqual(all);
    });

    it('exposes request counts and findings per severity to Prometheus', async () => {
      await seedFindings();
      await as('viewer', 'GET', '/api/v1/summary');
      const res = await as('viewer', 'GET', '/metrics');
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.body).toContain('vigil_http_requests_total{method="GET",route="/api/v1/summary",status="200"} 1');
      expect(res.body).toContain(
        'vigil_http_request_duration_seconds_count{method="GET",route="/api/v1/summary",status="200"} 1',
      );
      expect(res.body).toContain('vigil_findings{state="open",severity="HIGH"} 2');
      expect(res.body).toContain('vigil_images 2');
      for (const line of res.body.trimEnd().split('\n')) {
        expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [0-9.e+-]+)$/);
      }
    });
  });
});
