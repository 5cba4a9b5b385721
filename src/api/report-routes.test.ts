import { describe, expect, it } from 'vitest';
import { aFinding, digestOf } from '../service/store/testing.ts';
import { type ApiHarness, apiDialects, FIXED_NOW, harnessPerTest } from './testing.ts';

const DAY = 86_400_000;

describe.each(apiDialects)('history and scan-age on $name', (dialect) => {
  let h: ApiHarness;
  harnessPerTest(dialect, { set: (opened) => (h = opened), get: () => h });

  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: h.auth('viewer') });

  async function seed(): Promise<void> {
    const registry = await h.store.createRegistry({ name: 'r', url: 'https://r.example', kind: 'oci' }, FIXED_NOW);
    // image 1 scanned 40 days ago with a CRITICAL; image 2 scanned today with a MEDIUM only
    const old = new Date(FIXED_NOW.getTime() - 40 * DAY);
    await h.store.upsertImage({ registryId: registry.id, repository: 'team/app', digest: digestOf(1) }, old);
    await h.store.applyMatchResult(digestOf(1), [aFinding('CVE-1', 'a', 'CRITICAL')], { complete: true, now: old });
    await h.store.upsertImage({ registryId: registry.id, repository: 'team/app', digest: digestOf(2) }, FIXED_NOW);
    await h.store.applyMatchResult(digestOf(2), [aFinding('CVE-2', 'b', 'MEDIUM')], {
      complete: true,
      now: FIXED_NOW,
    });
    await h.store.rollupDaily(FIXED_NOW.toISOString().slice(0, 10));
  }

  it('answers "which images had a High or Critical on that day" in one call', async () => {
    await seed();
    const day = FIXED_NOW.toISOString().slice(0, 10);
    const high = await get(`/api/v1/history/images?date=${day}`);
    expect(high.statusCode).toBe(200);
    expect(high.json()).toEqual({ date: day, minSeverity: 'HIGH', digests: [digestOf(1)] });
    const medium = await get(`/api/v1/history/images?date=${day}&min_severity=MEDIUM`);
    expect(medium.json().digests.sort()).toEqual([digestOf(1), digestOf(2)].sort());
    expect((await get('/api/v1/history/images?date=yesterday')).statusCode).toBe(400);
  });

  it('answers for today as things stand, without waiting for the nightly rollup; refuses a future day', async () => {
    await seed();
    const day = FIXED_NOW.toISOString().slice(0, 10);
    // a CRITICAL found after the seed's rollup: today's answer has it
    await h.store.applyMatchResult(digestOf(2), [aFinding('CVE-3', 'c', 'CRITICAL')], {
      complete: true,
      now: FIXED_NOW,
    });
    const high = await get(`/api/v1/history/images?date=${day}`);
    expect(high.json().digests.sort()).toEqual([digestOf(1), digestOf(2)].sort());
    const tomorrow = new Date(FIXED_NOW.getTime() + DAY).toISOString().slice(0, 10);
    const future = await get(`/api/v1/history/images?date=${tomorrow}`);
    expect(future.statusCode).toBe(400);
    expect(future.json().error.message).toContain('after today');
  });

  it('lists the images not scanned within the window (30 days unless asked)', async () => {
    await seed();
    const stale = await get('/api/v1/scan-age');
    expect(stale.statusCode).toBe(200);
    expect(stale.json().days).toBe(30);
    expect(stale.json().images.map((i: { digest: string }) => i.digest)).toEqual([digestOf(1)]);
    const wider = await get('/api/v1/scan-age?days=60');
    expect(wider.json(), wider.body).toMatchObject({ days: 60, images: [] });
    expect((await get('/api/v1/scan-age?days=0')).statusCode).toBe(400);
  });
});
