import { z } from 'zod';
import { emailChannel, emailConfigSchema } from './email.ts';
import { slackChannel, slackConfigSchema } from './slack.ts';
import { snsChannel, snsConfigSchema } from './sns.ts';
import { webhookChannel, webhookConfigSchema } from './webhook.ts';

/** Every channel kind, one line each; index.test.ts fails when a file here is missing from the list. */
export const channels = [webhookChannel, slackChannel, emailChannel, snsChannel] as const;

export const channelConfigSchema = z.discriminatedUnion('type', [
  webhookConfigSchema,
  slackConfigSchema,
  emailConfigSchema,
  snsConfigSchema,
]);

export type ChannelConfig = z.infer<typeof channelConfigSchema>;
export type ChannelType = ChannelConfig['type'];
