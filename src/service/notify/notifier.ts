import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { VigilError } from '../../core/errors.ts';
import { type Channel, type ChannelDeps, scrubDeep, scrubSecrets } from './channel.ts';
import { type ChannelConfig, channelConfigSchema, channels } from './channels/index.ts';
import { loadSnsModule } from './channels/sns.ts';
import { type DeliveryLog, type DeliveryRecord, InMemoryDeliveryLog } from './delivery-log.ts';
import { foldDigests } from './digest.ts';
import { compileFilter } from './filter.ts';
import { defaultRetryPolicy, type RetryPolicy, systemClock } from './retry.ts';
import type { ChannelSender, Notification, NotifyClock, NotifyEvent } from './types.ts';

/**
 * Routes events to channels: per channel, filter each event, fold a scan's findings into a digest
 * when the channel asks, prepare the message, write the delivery down, send, and record every
 * attempt. A failing channel never stops the others, and `dispatch` does not throw for a failed
 * delivery: it is in the log, listed by `listFailed`, and `replay` sends it again.
 */

export interface NotifierOptions {
  /** channel configs, validated here (VIGIL_USAGE when one is wrong) */
  readonly channels: readonly unknown[];
  readonly log?: DeliveryLog;
  readonly clock?: Partial<NotifyClock>;
  readonly fetch?: typeof globalThis.fetch;
  readonly retry?: Partial<RetryPolicy>;
  readonly loadSns?: ChannelDeps['loadSns'];
  /** delivery ids; random UUIDs by default */
  readonly newId?: () => string;
  readonly logger?: Logger;
}

export interface DeliverySummary {
  readonly deliveryId: string;
  readonly channelId: string;
  readonly notificationType: Notification['type'];
  readonly notificationId: string;
  readonly ok: boolean;
  readonly error?: string;
}

interface ActiveChannel {
  readonly config: ChannelConfig;
  readonly sender: ChannelSender;
  readonly accepts: (event: NotifyEvent) => boolean;
  readonly secrets: readonly string[];
}

/** A channel config checked against its schema, defaults filled in. */
export function parseChannelConfig(input: unknown): ChannelConfig {
  const parsed = channelConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
  throw new VigilError('VIGIL_USAGE', `invalid notification channel: ${issues}`, {
    issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
  });
}

function kindOf(config: ChannelConfig): Channel<ChannelConfig> {
  return channels.find((c) => c.type === config.type) as unknown as Channel<ChannelConfig>;
}

/** A config fit to show (API responses, logs): every secret value replaced by [redacted]. */
export function redactChannelConfig(config: ChannelConfig): ChannelConfig {
  return scrubDeep(config, kindOf(config).secretsOf(config));
}

export class Notifier {
  readonly log: DeliveryLog;
  readonly #channels = new Map<string, ActiveChannel>();
  readonly #clock: NotifyClock;
  readonly #newId: () => string;
  readonly #logger: Logger | undefined;

  constructor(options: NotifierOptions) {
    this.log = options.log ?? new InMemoryDeliveryLog();
    this.#clock = { ...systemClock, ...options.clock };
    this.#newId = options.newId ?? randomUUID;
    this.#logger = options.logger;
    for (const input of options.channels) {
      const config = parseChannelConfig(input);
      if (this.#channels.has(config.id)) {
        throw new VigilError('VIGIL_USAGE', `two notification channels are named ${config.id}`, {
          channelId: config.id,
        });
      }
      const deps: ChannelDeps = {
        fetch: options.fetch ?? ((...args) => globalThis.fetch(...args)),
        clock: this.#clock,
        retry: { ...defaultRetryPolicy, ...options.retry, ...config.retry },
        loadSns: options.loadSns ?? loadSnsModule,
      };
      const kind = kindOf(config);
      this.#channels.set(config.id, {
        config,
        sender: kind.create(config, deps),
        accepts: compileFilter(config.filter),
        secrets: kind.secretsOf(config),
      });
    }
  }

  get channelIds(): string[] {
    return [...this.#channels.keys()];
  }

  /** Sends each event to every channel whose filter takes it; one scan's events should come together. */
  async dispatch(events: readonly NotifyEvent[], signal?: AbortSignal): Promise<DeliverySummary[]> {
    const perChannel = await Promise.all(
      [...this.#channels.values()].map(async (channel) => {
        const accepted = events.filter(channel.accepts);
        const notifications: Notification[] =
          channel.config.digest === undefined ? accepted : foldDigests(accepted, channel.config.digest.top);
        const summaries: DeliverySummary[] = [];
        for (const notification of notifications) {
          summaries.push(await this.#deliverNew(channel, notification, signal));
        }
        return summaries;
      }),
    );
    return perChannel.flat();
  }

  /** Sends a failed delivery again, with the channel's current settings; returns the updated record. */
  async replay(deliveryId: string, signal?: AbortSignal): Promise<DeliveryRecord> {
    const record = await this.log.get(deliveryId);
    if (record === undefined) throw new VigilError('VIGIL_USAGE', `no delivery ${deliveryId}`, { deliveryId });
    if (record.status !== 'failed') {
      throw new VigilError('VIGIL_USAGE', `delivery ${deliveryId} is ${record.status}; only failed ones are replayed`, {
        deliveryId,
        status: record.status,
      });
    }
    const channel = this.#channels.get(record.channelId);
    if (channel === undefined || channel.config.type !== record.channelType) {
      throw new VigilError('VIGIL_USAGE', `channel ${record.channelId} of delivery ${deliveryId} is not configured`, {
        deliveryId,
        channelId: record.channelId,
      });
    }
    if (Object.keys(record.message.content).length === 0) {
      throw new VigilError('VIGIL_USAGE', `delivery ${deliveryId} was never prepared, so there is nothing to send`, {
        deliveryId,
      });
    }
    await this.#send(channel, record, signal);
    return (await this.log.get(deliveryId))!;
  }

  async #deliverNew(
    channel: ActiveChannel,
    notification: Notification,
    signal?: AbortSignal,
  ): Promise<DeliverySummary> {
    const id = this.#newId();
    const base = {
      deliveryId: id,
      channelId: channel.config.id,
      notificationType: notification.type,
      notificationId: notification.id,
    };
    let message: DeliveryRecord['message'];
    try {
      message = channel.sender.prepare(notification);
    } catch (err) {
      // A notification a channel cannot render is a bug, but it must not stop the other deliveries.
      message = { content: {}, request: { target: '', headers: {}, body: '' } };
      const error = this.#errorText(channel, err);
      await this.log.create({ ...this.#newRecord(channel, notification, id), message });
      await this.log.markFailed(id, this.#nowIso(), error);
      this.#logger?.error({ ...base, channelType: channel.config.type, error }, 'notification could not be prepared');
      return { ...base, ok: false, error };
    }
    // Belt and braces: a channel's recorded request should hold no secret; scrub once more anyway.
    const record = { ...this.#newRecord(channel, notification, id), message: scrubRequest(message, channel.secrets) };
    await this.log.create(record);
    const result = await this.#send(channel, { ...record, message }, signal);
    return { ...base, ok: result.ok, ...(result.error === undefined ? {} : { error: result.error }) };
  }

  #newRecord(channel: ActiveChannel, notification: Notification, id: string) {
    return {
      id,
      channelId: channel.config.id,
      channelType: channel.config.type,
      notificationType: notification.type,
      notificationId: notification.id,
      eventIds: notification.type === 'scan.digest' ? notification.eventIds : [notification.id],
      createdAt: this.#nowIso(),
    };
  }

  async #send(
    channel: ActiveChannel,
    record: Pick<DeliveryRecord, 'id' | 'notificationType' | 'message'>,
    signal?: AbortSignal,
  ): Promise<{ ok: boolean; error?: string }> {
    const facts = { deliveryId: record.id, channelId: channel.config.id, channelType: channel.config.type };
    let outcome: { ok: boolean; error?: string; attempts: number };
    try {
      const result = await channel.sender.send(record.message, {
        deliveryId: record.id,
        notificationType: record.notificationType,
        signal,
        onAttempt: (attempt) =>
          this.log.recordAttempt(record.id, {
            ...attempt,
            ...(attempt.error === undefined ? {} : { error: scrubSecrets(attempt.error, channel.secrets) }),
          }),
      });
      outcome = {
        ok: result.ok,
        attempts: result.attempts.length,
        ...(result.error === undefined ? {} : { error: result.error }),
      };
    } catch (err) {
      outcome = { ok: false, attempts: 0, error: this.#errorText(channel, err) };
    }
    if (outcome.ok) {
      await this.log.markDelivered(record.id, this.#nowIso());
      this.#logger?.info({ ...facts, attempts: outcome.attempts }, 'notification delivered');
      return { ok: true };
    }
    const error = scrubSecrets(outcome.error ?? 'delivery failed', channel.secrets);
    await this.log.markFailed(record.id, this.#nowIso(), error);
    this.#logger?.warn({ ...facts, attempts: outcome.attempts, error }, 'notification delivery failed');
    return { ok: false, error };
  }

  #errorText(channel: ActiveChannel, err: unknown): string {
    const text =
      err instanceof VigilError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    return scrubSecrets(text, channel.secrets);
  }

  #nowIso(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

function scrubRequest(message: DeliveryRecord['message'], secrets: readonly string[]): DeliveryRecord['message'] {
  return { content: scrubDeep(message.content, secrets), request: scrubDeep(message.request, secrets) };
}
