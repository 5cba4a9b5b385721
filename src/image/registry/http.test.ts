import { describe, expect, it } from 'vitest';
import { nextPage } from './client.ts';
import { defaultHttpPolicy, HttpClient, parseRetryAfter } from './http.ts';

const NOW = Date.UTC(2030, 0, 1);

describe('parseRetryAfter', () => {
  it.each([
    ['3', 3_000],
    [' 0 ', 0],
    [new Date(NOW + 9_000).toUTCString(), 9_000],
    [new Date(NOW - 9_000).toUTCString(), 0],
    ['soon', undefined],
    ['-1', undefined],
    [null, undefined],
  ])('%j -> %s', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe('nextPage', () => {
  const current = new URL('https://r.example/v2/_catalog?n=2');
  it.each([
    ['</v2/_catalog?last=b&n=2>; rel="next"', 'https://r.example/v2/_catalog?last=b&n=2'],
    ['<https://r.example/v2/_catalog?last=c>; rel=next', 'https://r.example/v2/_catalog?last=c'],
    ['</prev>; rel="prev", </v2/x?last=d>; rel="next"', 'https://r.example/v2/x?last=d'],
    ['</a>; rel="nextish"', undefined],
    ['garbage', undefined],
    [null, undefined],
  ])('%j', (link, expected) => {
    expect(nextPage(link, current)?.href).toBe(expected);
  });
});

describe('HttpClient', () => {
  it('sends a signal-cancelled request nowhere and says it was cancelled', async () => {
    let calls = 0;
    const client = new HttpClient(
      {
        fetch: async () => {
          calls++;
          return new Response('');
        },
        sleep: async () => {},
        now: () => NOW,
        random: () => 0,
      },
      defaultHttpPolicy,
    );
    const controller = new AbortController();
    controller.abort();
    await expect(
      client.send({ method: 'GET', url: new URL('https://r.example/v2/'), signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'VIGIL_ABORTED' });
    expect(calls).toBe(0);
  });

  it('refuses plain http unless insecure', async () => {
    const client = new HttpClient(
      { fetch: async () => new Response(''), sleep: async () => {}, now: () => NOW, random: () => 0 },
      defaultHttpPolicy,
    );
    await expect(client.send({ method: 'GET', url: new URL('http://r.example/v2/') })).rejects.toMatchObject({
      code: 'VIGIL_REGISTRY_PROTOCOL',
    });
  });
});
