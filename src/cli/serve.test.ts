import { describe, expect, it } from 'vitest';
import { parseListen } from './serve.ts';

describe('--listen', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    [':9000', { host: '0.0.0.0', port: 9000 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
  ])('%s', (text, expected) => {
    expect(parseListen(text)).toEqual(expected);
  });

  it.each(['8080', '127.0.0.1', '127.0.0.1:99999', 'host:port'])('refuses %s', (text) => {
    expect(() => parseListen(text)).toThrow(/--listen/);
  });
});
