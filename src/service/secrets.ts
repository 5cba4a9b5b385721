import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { VigilError } from '../core/errors.ts';

/**
 * Secrets at rest (registry credentials): AES-256-GCM (NIST SP 800-38D) under a key derived with
 * HKDF-SHA256 (RFC 5869) from VIGIL_SECRET_KEY. A sealed value is
 *
 *   version (1 byte, 0x01) | IV (12 random bytes) | ciphertext | tag (16 bytes)
 *
 * and the purpose (e.g. "registry-credentials") is bound in as additional authenticated data, so a
 * value sealed for one purpose cannot be replayed as another. Any change to any byte fails open().
 */
export interface SecretBox {
  seal(plaintext: string, purpose: string): Uint8Array;
  /** throws VIGIL_USAGE when the value was tampered with or sealed under another key or purpose */
  open(sealed: Uint8Array, purpose: string): string;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** HKDF needs input keying material with real entropy: `openssl rand -base64 32` gives 44 characters */
export const MIN_SECRET_KEY_LENGTH = 32;
const HKDF_SALT = 'vigil/secret-box';
const HKDF_INFO = 'aes-256-gcm v1';

export function createSecretBox(secretKey: string): SecretBox {
  if (secretKey.length < MIN_SECRET_KEY_LENGTH) {
    throw new VigilError(
      'VIGIL_USAGE',
      `VIGIL_SECRET_KEY must be at least ${MIN_SECRET_KEY_LENGTH} characters (e.g. openssl rand -base64 32)`,
      {},
    );
  }
  const key = Buffer.from(hkdfSync('sha256', secretKey, HKDF_SALT, HKDF_INFO, 32));
  return {
    seal(plaintext, purpose) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(purpose, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return new Uint8Array(Buffer.concat([Buffer.of(VERSION), iv, body, cipher.getAuthTag()]));
    },
    open(sealed, purpose) {
      const bytes = Buffer.from(sealed);
      if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== VERSION) {
        throw new VigilError('VIGIL_USAGE', 'sealed secret has an unknown format', {});
      }
      const iv = bytes.subarray(1, 1 + IV_BYTES);
      const tag = bytes.subarray(bytes.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([
          decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch (err) {
        // GCM says only "unable to authenticate": a wrong key and a flipped bit look the same
        throw new VigilError(
          'VIGIL_USAGE',
          'sealed secret failed authentication (tampered or another key)',
          {},
          {
            cause: err,
          },
        );
      }
    },
  };
}

/** The box for VIGIL_SECRET_KEY, or undefined when it is unset (then credentials cannot be stored). */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox | undefined {
  const key = env.VIGIL_SECRET_KEY;
  return key === undefined || key === '' ? undefined : createSecretBox(key);
}
