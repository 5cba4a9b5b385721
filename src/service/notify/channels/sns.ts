import { z } from 'zod';
import { VigilError } from '../../../core/errors.ts';
import { boundNotification } from '../bound.ts';
import { type Channel, commonChannelFields, type SnsModule } from '../channel.ts';
import { renderView } from '../render.ts';
import { type TryResult, withRetries } from '../retry.ts';
import type { Notification } from '../types.ts';

/**
 * AWS SNS: one Publish per notification with a readable Subject (what e-mail subscribers see) and
 * the notification as JSON in Message (what Lambda and SQS subscribers parse). The SDK is an
 * optional dependency loaded on first use. Its own retries are off (maxAttempts 1) so the
 * notifier's policy, clock and delivery log see every try.
 */

export const snsConfigSchema = z
  .object({
    type: z.literal('sns'),
    ...commonChannelFields,
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-west-2'),
    topicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, 'an SNS topic ARN'),
  })
  .strict();

export type SnsConfig = z.infer<typeof snsConfigSchema>;

/** SNS limits (Publish API reference): Message 256 KiB, Subject under 100 ASCII characters without line breaks. */
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_SUBJECT_CHARS = 99;

export function snsSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT_CHARS ? ascii : `${ascii.slice(0, MAX_SUBJECT_CHARS - 3)}...`;
}

function messageAttributes(n: Notification): Record<string, { DataType: 'String'; StringValue: string }> {
  // Attributes let subscribers filter (SNS subscription filter policies) without parsing the body.
  const attributes: Record<string, { DataType: 'String'; StringValue: string }> = {
    event_type: { DataType: 'String', StringValue: n.type },
    repository: { DataType: 'String', StringValue: n.image.repository.slice(0, 256) },
  };
  if (n.type === 'finding.new' || n.type === 'finding.resolved') {
    attributes.severity = { DataType: 'String', StringValue: n.finding.severity };
  }
  return attributes;
}

export async function loadSnsModule(): Promise<SnsModule> {
  try {
    return await import('@aws-sdk/client-sns');
  } catch (err) {
    throw missingSdk(err);
  }
}

function missingSdk(cause: unknown): VigilError {
  return new VigilError(
    'VIGIL_AWS_SDK_MISSING',
    'the SNS channel needs the optional package @aws-sdk/client-sns; install it with npm install @aws-sdk/client-sns',
    { package: '@aws-sdk/client-sns' },
    { cause },
  );
}

function classify(err: unknown): TryResult {
  const e = err as { name?: string; message?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const error = `SNS ${e.name ?? 'error'}: ${e.message ?? String(err)}`;
  const retryable =
    e.$retryable !== undefined ||
    status === undefined || // no HTTP answer: a network failure
    status === 429 ||
    status >= 500 ||
    /Throttl/i.test(e.name ?? '');
  return { ok: false, retryable, error, ...(status === undefined ? {} : { status }) };
}

export const snsChannel = {
  type: 'sns',
  schema: snsConfigSchema,
  secretsOf: () => [],
  create(config, deps) {
    let client: Promise<{ sns: SnsModule; client: InstanceType<SnsModule['SNSClient']> }> | undefined;
    const connect = () => {
      client ??= deps.loadSns().then(
        (sns) => ({ sns, client: new sns.SNSClient({ region: config.region, maxAttempts: 1 }) }),
        (err: unknown) => {
          client = undefined;
          throw err instanceof VigilError ? err : missingSdk(err);
        },
      );
      return client;
    };
    return {
      prepare(notification) {
        const subject = snsSubject(renderView(notification).subject);
        const bounded = boundNotification(notification, MAX_MESSAGE_BYTES - 1_024);
        const message = JSON.stringify({ schemaVersion: 1, truncated: bounded.truncated, event: bounded.data });
        return {
          content: { subject, message, attributes: messageAttributes(notification) },
          request: { target: config.topicArn, headers: { subject }, body: message },
        };
      },
      async send(message, context) {
        const { sns, client: snsClient } = await connect();
        const content = message.content as {
          subject: string;
          message: string;
          attributes: ReturnType<typeof messageAttributes>;
        };
        return withRetries(
          deps.retry,
          deps.clock,
          async () => {
            try {
              const command = new sns.PublishCommand({
                TopicArn: config.topicArn,
                Subject: content.subject,
                Message: content.message,
                MessageAttributes: content.attributes,
                // FIFO topics require a group and a de-duplication id; the delivery id de-duplicates a replay.
                ...(config.topicArn.endsWith('.fifo')
                  ? { MessageGroupId: 'vigil', MessageDeduplicationId: context.deliveryId.slice(0, 128) }
                  : {}),
              });
              const output = await snsClient.send(
                command,
                context.signal === undefined ? {} : { abortSignal: context.signal },
              );
              // The SDK always sets $metadata; a stubbed client may not.
              const status = (output.$metadata as typeof output.$metadata | undefined)?.httpStatusCode;
              return { ok: true, ...(status === undefined ? {} : { status }) };
            } catch (err) {
              return classify(err);
            }
          },
          context.onAttempt,
          context.signal,
        );
      },
    };
  },
} satisfies Channel<SnsConfig>;
