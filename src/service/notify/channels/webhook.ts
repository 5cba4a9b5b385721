import { z } from 'zod';
import { boundNotification } from '../bound.ts';
import { type Channel, commonChannelFields, httpUrl, REDACTED } from '../channel.ts';
import { postWithRetries, safeOrigin } from '../http-post.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../signature.ts';

/**
 * Generic webhook: the notification as JSON, signed (see signature.ts and README.md), POSTed with
 * retries. The body is fixed when prepared so a replay sends the same bytes; the timestamp and
 * signature are made at each try, so a replay days later still passes the receiver's tolerance.
 */

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const RESERVED = new Set([SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER, EVENT_HEADER, 'content-type', 'host']);

export const webhookConfigSchema = z
  .object({
    type: z.literal('webhook'),
    ...commonChannelFields,
    url: httpUrl,
    /** HMAC key; long enough that guessing it is hopeless */
    secret: z.string().min(16).max(512),
    /** extra headers (an Authorization token for a gateway); their values are treated as secrets */
    headers: z
      .record(z.string().regex(HEADER_NAME), z.string().max(4_096))
      .refine((h) => Object.keys(h).every((k) => !RESERVED.has(k.toLowerCase())), 'header name is reserved')
      .optional(),
    /** the JSON body is cut (with `truncated: true`) until it fits */
    maxBodyBytes: z
      .int()
      .min(4_096)
      .max(10 * 1024 * 1024)
      .default(256 * 1024),
  })
  .strict();

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export const WEBHOOK_SCHEMA_VERSION = 1;

export const webhookChannel = {
  type: 'webhook',
  schema: webhookConfigSchema,
  secretsOf: (config) => [config.secret, ...Object.values(config.headers ?? {})],
  create(config, deps) {
    // The recorded target keeps the path (it tells hooks apart) but not the query, where tokens live.
    const url = new URL(config.url);
    const target = `${safeOrigin(config.url)}${url.pathname}${url.search === '' ? '' : `?${REDACTED}`}`;
    const extraHeaders = config.headers ?? {};
    return {
      prepare(notification) {
        const bounded = boundNotification(notification, config.maxBodyBytes - 256);
        const body = JSON.stringify({
          schemaVersion: WEBHOOK_SCHEMA_VERSION,
          truncated: bounded.truncated,
          event: bounded.data,
        });
        const headers: Record<string, string> = {
          [EVENT_HEADER]: notification.type,
          [TIMESTAMP_HEADER]: '(set at send)',
          [SIGNATURE_HEADER]: REDACTED,
        };
        for (const name of Object.keys(extraHeaders)) headers[name.toLowerCase()] = REDACTED;
        return { content: { body }, request: { target, headers, body } };
      },
      send(message, context) {
        const body = String(message.content.body);
        return postWithRetries(
          config.url,
          body,
          () => {
            const timestamp = Math.floor(deps.clock.now() / 1000);
            return {
              ...extraHeaders,
              [EVENT_HEADER]: context.notificationType,
              [DELIVERY_HEADER]: context.deliveryId,
              [TIMESTAMP_HEADER]: String(timestamp),
              [SIGNATURE_HEADER]: signWebhook(config.secret, timestamp, body),
            };
          },
          deps,
          context,
        );
      },
    };
  },
} satisfies Channel<WebhookConfig>;
