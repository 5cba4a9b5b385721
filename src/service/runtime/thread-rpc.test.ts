import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors.ts';
import { isVigilError, VigilError } from '../../core/errors.ts';
import { ThreadRpc } from './thread-rpc.ts';

describe('ThreadRpc', () => {
  const channels: MessageChannel[] = [];
  afterEach(() => {
    for (const c of channels.splice(0)) {
      c.port1.close();
      c.port2.close();
    }
  });

  function pair(mainHandlers: Record<string, (...args: never[]) => unknown>, threadHandlers: typeof mainHandlers) {
    const channel = new MessageChannel();
    channels.push(channel);
    return { main: new ThreadRpc(channel.port1, mainHandlers), thread: new ThreadRpc(channel.port2, threadHandlers) };
  }

  it('calls both ways, a call answered while the caller waits on its own call', async () => {
    const { main, thread } = pair(
      { everywhere: async () => `main and ${await main.call<string>('own')}` },
      { own: () => 'thread', echo: (value: unknown) => value },
    );
    expect(await thread.call('everywhere')).toBe('main and thread');
    const value = { at: new Date('2026-12-02T00:00:00Z'), list: [1, 'two', null] };
    expect(await main.call('echo', value)).toEqual(value);
  });

  it('keeps the class, code and facts of Vigil and API errors; others cross as their message', async () => {
    const { main } = pair(
      {},
      {
        vigil: () => {
          throw new VigilError('VIGIL_IMAGE_NOT_FOUND', 'no such image', { digest: 'sha256:ab' });
        },
        api: async () => {
          throw new ApiError('VIGIL_UNAVAILABLE', 'not now', { 'retry-after': '5' });
        },
        other: () => {
          throw new TypeError('broken');
        },
      },
    );
    const vigil = await main.call('vigil').catch((e: unknown) => e);
    expect(isVigilError(vigil, 'VIGIL_IMAGE_NOT_FOUND')).toBe(true);
    expect((vigil as VigilError).context).toEqual({ digest: 'sha256:ab' });
    const api = await main.call('api').catch((e: unknown) => e);
    expect(api).toBeInstanceOf(ApiError);
    expect(api).toMatchObject({ code: 'VIGIL_UNAVAILABLE', message: 'not now', headers: { 'retry-after': '5' } });
    await expect(main.call('other')).rejects.toThrow('broken');
    await expect(main.call('missing')).rejects.toThrow(/no method missing/);
  });

  it('fails the calls still waiting when closed, and those made after', async () => {
    const { main } = pair({}, { never: () => new Promise(() => {}) });
    const waiting = main.call('never');
    main.close('the API thread has ended');
    await expect(waiting).rejects.toMatchObject({ code: 'VIGIL_UNAVAILABLE', message: 'the API thread has ended' });
    await expect(main.call('never')).rejects.toMatchObject({ code: 'VIGIL_UNAVAILABLE' });
  });
});
