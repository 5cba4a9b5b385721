import { describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import { createSecretBox, secretBoxFromEnv } from './secrets.ts';

const key = 'k'.repeat(16) + 'e'.repeat(16) + 'y'.repeat(12);
const purpose = 'registry-credentials';

describe('secret box', () => {
  it.each([
    ['empty', ''],
    ['json', '{"username":"ci","password":"s3cr3t-pässwörd"}'],
    ['long', 'x'.repeat(100_000)],
  ])('round-trips %s plaintext', (_name, plaintext) => {
    const box = createSecretBox(key);
    const sealed = box.seal(plaintext, purpose);
    expect(box.open(sealed, purpose)).toBe(plaintext);
    if (plaintext.length > 0) expect(Buffer.from(sealed).includes(Buffer.from(plaintext))).toBe(false);
  });

  it('seals the same plaintext differently each time (random IV)', () => {
    const box = createSecretBox(key);
    expect(Buffer.from(box.seal('same', purpose)).equals(Buffer.from(box.seal('same', purpose)))).toBe(false);
  });

  it('detects a flip of every single byte', () => {
    const box = createSecretBox(key);
    const sealed = box.seal('{"password":"hunter22"}', purpose);
    for (let i = 0; i < sealed.length; i++) {
      const tampered = Uint8Array.from(sealed);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      expect(() => box.open(tampered, purpose), `byte ${i}`).toThrow(/authentication|unknown format/);
    }
  });

  it.each([
    ['another key', () => createSecretBox(`${key}-other`), purpose],
    ['another purpose', () => createSecretBox(key), 'channel-secret'],
  ])('refuses a value opened with %s', (_name, makeBox, openPurpose) => {
    const sealed = createSecretBox(key).seal('secret', purpose);
    let caught: unknown;
    try {
      makeBox().open(sealed, openPurpose);
    } catch (err) {
      caught = err;
    }
    expect(isVigilError(caught, 'VIGIL_USAGE')).toBe(true);
  });

  it.each([new Uint8Array(0), new Uint8Array(28), Uint8Array.of(2, ...new Uint8Array(40))])(
    'refuses truncated or unknown-version input %#',
    (sealed) => {
      expect(() => createSecretBox(key).open(sealed, purpose)).toThrow(/unknown format/);
    },
  );

  it('refuses a short key and reads VIGIL_SECRET_KEY', () => {
    expect(() => createSecretBox('short')).toThrow(/at least 32/);
    expect(secretBoxFromEnv({})).toBeUndefined();
    expect(secretBoxFromEnv({ VIGIL_SECRET_KEY: '' })).toBeUndefined();
    const box = secretBoxFromEnv({ VIGIL_SECRET_KEY: key });
    expect(box?.open(createSecretBox(key).seal('a', purpose), purpose)).toBe('a');
  });
});
