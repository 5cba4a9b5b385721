import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, after Stripe's and GitHub's schemes: HMAC-SHA256 (RFC 2104, FIPS 180-4)
 * keyed with the channel's secret over `<timestamp>.<raw body>`, sent as
 * `X-Vigil-Signature: sha256=<lowercase hex>` with the same Unix-seconds timestamp in
 * `X-Vigil-Timestamp`. Signing the timestamp lets a receiver refuse a captured request replayed
 * later (outside its tolerance) without keeping state; the raw body is signed, so receivers must
 * verify before parsing JSON.
 */

export const SIGNATURE_HEADER = 'x-vigil-signature';
export const TIMESTAMP_HEADER = 'x-vigil-timestamp';
export const DELIVERY_HEADER = 'x-vigil-delivery';
export const EVENT_HEADER = 'x-vigil-event';

/** Receivers should refuse timestamps further than this from their clock (Stripe uses 5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signWebhook(secret: string, timestampSeconds: number, rawBody: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
  return `sha256=${mac}`;
}

export interface VerifyInput {
  readonly secret: string;
  readonly rawBody: string | Buffer;
  readonly signatureHeader: string | undefined;
  readonly timestampHeader: string | undefined;
  /** the receiver's clock, milliseconds since the epoch */
  readonly now: number;
  readonly toleranceSeconds?: number;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What a receiver runs; exported so Vigil's own tests (and users in Node) verify the same way. */
export function verifyWebhookSignature(input: VerifyInput): VerifyResult {
  const { signatureHeader, timestampHeader } = input;
  if (signatureHeader === undefined || timestampHeader === undefined) return { ok: false, reason: 'headers missing' };
  if (!/^\d{1,12}$/.test(timestampHeader)) return { ok: false, reason: 'timestamp is not Unix seconds' };
  const timestamp = Number(timestampHeader);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(input.now / 1000 - timestamp) > tolerance) return { ok: false, reason: 'timestamp outside tolerance' };
  const body = typeof input.rawBody === 'string' ? input.rawBody : input.rawBody.toString('utf8');
  const expected = Buffer.from(signWebhook(input.secret, timestamp, body));
  const given = Buffer.from(signatureHeader);
  // timingSafeEqual so the comparison does not leak how many leading characters matched.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true };
}
