import {
  AuthorizationErrorException,
  InternalErrorException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.ts';
import { InMemoryDeliveryLog } from '../delivery-log.ts';
import { Notifier } from '../notifier.ts';
import { defaultRetryPolicy } from '../retry.ts';
import { finding, findingEvent, otherEvents, testClock } from '../testing.ts';
import { snsChannel, snsSubject } from './sns.ts';

/** AWS cannot be reached from these machines: the SNS client is replaced by aws-sdk-client-mock. */
const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const TOPIC = 'arn:aws:sns:us-west-2:123456789012:vigil-alerts';
const channel = { type: 'sns', id: 'sns', region: 'us-west-2', topicArn: TOPIC };

function notifier(extra: Record<string, unknown> = {}, loadSns?: () => Promise<never>) {
  const log = new InMemoryDeliveryLog();
  const clock = testClock();
  let ids = 0;
  return {
    log,
    clock,
    notifier: new Notifier({
      channels: [{ ...channel, ...extra }],
      log,
      clock,
      retry: { maxAttempts: 3 },
      newId: () => `s${++ids}`,
      ...(loadSns === undefined ? {} : { loadSns }),
    }),
  };
}

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('sns', () => {
  it('publishes a subject, the notification as JSON and filterable attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1', ...meta(200) });
    const { notifier: n, log } = notifier();
    const event = findingEvent('finding.new', finding('CVE-2024-0001', 'HIGH'));
    const [summary] = await n.dispatch([event]);
    expect(summary?.ok).toBe(true);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({
      TopicArn: TOPIC,
      Subject: '[HIGH] CVE-2024-0001 in team/app:1.4 (openssl 3.0.11-1)',
      MessageAttributes: {
        event_type: { DataType: 'String', StringValue: 'finding.new' },
        repository: { DataType: 'String', StringValue: 'team/app' },
        severity: { DataType: 'String', StringValue: 'HIGH' },
      },
    });
    expect(input.MessageGroupId).toBeUndefined();
    expect(JSON.parse(input.Message ?? '')).toEqual({ schemaVersion: 1, truncated: false, event });
    expect((await log.get('s1'))?.attempts).toEqual([{ at: '2026-12-01T12:00:00.000Z', ok: true, status: 200 }]);
  });

  it('sets a group and de-duplication id on a FIFO topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { notifier: n } = notifier({ topicArn: `${TOPIC}.fifo` });
    await n.dispatch([otherEvents[1]!]);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ MessageGroupId: 'vigil', MessageDeduplicationId: 's1' });
  });

  it.each([
    ['InternalError (500)', new InternalErrorException({ message: 'boom', ...meta(500) }), 2, true],
    ['Throttled (429)', new ThrottledException({ message: 'slow down', ...meta(429) }), 2, true],
    ['AuthorizationError (403)', new AuthorizationErrorException({ message: 'not allowed', ...meta(403) }), 1, false],
  ])('after %s', async (_name, error, calls, ok) => {
    sns
      .on(PublishCommand)
      .rejectsOnce(error)
      .resolves({ MessageId: 'm-2', ...meta(200) });
    const { notifier: n, log } = notifier();
    const [summary] = await n.dispatch([otherEvents[0]!]);
    expect(summary?.ok).toBe(ok);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(calls);
    const statuses = (await log.get('s1'))?.attempts.map((a) => a.status);
    expect(statuses).toEqual(ok ? [error.$metadata.httpStatusCode, 200] : [403]);
    if (!ok)
      expect((await log.listFailed()).map((d) => d.lastError)).toEqual([
        'SNS AuthorizationErrorException: not allowed',
      ]);
  });

  it('fails with VIGIL_AWS_SDK_MISSING when the optional SDK is absent', async () => {
    const absent = () =>
      Promise.reject(
        Object.assign(new Error("Cannot find package '@aws-sdk/client-sns'"), { code: 'ERR_MODULE_NOT_FOUND' }),
      );
    const sender = snsChannel.create(snsChannel.schema.parse(channel), {
      fetch,
      clock: testClock(),
      retry: defaultRetryPolicy,
      loadSns: absent,
    });
    const message = sender.prepare(otherEvents[2]!);
    const error = await sender
      .send(message, { deliveryId: 'x', notificationType: 'image.scan-expired', onAttempt: () => {} })
      .catch((err: unknown) => err);
    expect(isVigilError(error, 'VIGIL_AWS_SDK_MISSING')).toBe(true);
    expect((error as Error).message).toContain('npm install @aws-sdk/client-sns');

    const { notifier: n, log } = notifier({}, absent);
    const [summary] = await n.dispatch([otherEvents[2]!]);
    expect(summary?.error).toMatch(/^VIGIL_AWS_SDK_MISSING: /);
    expect((await log.listFailed()).map((d) => d.id)).toEqual(['s1']);
  });

  it.each([
    ['[HIGH] CVE-1 in team/app:1.4', '[HIGH] CVE-1 in team/app:1.4'],
    ['[LOW] CVE-1 in tëam/äpp', '[LOW] CVE-1 in t?am/?pp'],
    ['x'.repeat(150), `${'x'.repeat(96)}...`],
  ])('makes an SNS-valid subject of %j', (input, expected) => {
    const subject = snsSubject(input);
    expect(subject).toBe(expected);
    expect(subject.length).toBeLessThan(100);
  });

  it('keeps the message under the 256 KiB limit for a huge advisory', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-3' });
    const { notifier: n } = notifier();
    const huge = finding('CVE-2024-9999', 'CRITICAL', {
      summary: 'A'.repeat(2_000_000),
      aliases: Array.from({ length: 5_000 }, (_, i) => `GHSA-${i}`),
    });
    await n.dispatch([findingEvent('finding.new', huge)]);
    const message = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message ?? '';
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(256 * 1024);
    const parsed = JSON.parse(message) as {
      truncated: boolean;
      event: { finding: { summary: string; aliases: string[] } };
    };
    expect(parsed.truncated).toBe(true);
    expect(parsed.event.finding.summary).toMatch(/… \[truncated 1998000 characters\]$/);
    expect(parsed.event.finding.aliases).toHaveLength(50);
  });
});
