/** The notifier: events in, deliveries to webhooks, Slack, e-mail and SNS out. See README.md. */
export type { Channel, ChannelDeps } from './channel.ts';
export { REDACTED, scrubSecrets } from './channel.ts';
export { type ChannelConfig, type ChannelType, channelConfigSchema, channels } from './channels/index.ts';
export type { DeliveryLog, DeliveryRecord, DeliveryStatus, NewDelivery } from './delivery-log.ts';
export { InMemoryDeliveryLog } from './delivery-log.ts';
export { type ChannelFilter, channelFilterSchema } from './filter.ts';
export {
  type DeliverySummary,
  Notifier,
  type NotifierOptions,
  parseChannelConfig,
  redactChannelConfig,
} from './notifier.ts';
export { defaultRetryPolicy, type RetryPolicy } from './retry.ts';
export {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  type VerifyResult,
  verifyWebhookSignature,
} from './signature.ts';
export type * from './types.ts';
export { eventTypes } from './types.ts';
