import type { Logger } from 'pino';
import {
  type ChannelConfig,
  type DeliveryLog,
  type DeliveryRecord,
  type DeliverySummary,
  Notifier,
  type NotifyEvent,
} from '../notify/index.ts';
import type { SecretBox } from '../secrets.ts';
import { openChannelConfig } from '../store/channel-store.ts';
import type { Store, StoredChannel } from '../store/types.ts';

export interface LiveNotifierOptions {
  readonly store: Store;
  readonly secretBox: SecretBox | undefined;
  /** channels from `--channels FILE`, fixed for the process's life */
  readonly fileChannels: readonly unknown[];
  readonly log: DeliveryLog;
  readonly logger?: Logger;
}

/**
 * A Notifier over the channels the store holds now: each dispatch or replay reads the channel list
 * (a few rows) and, when a channel was created, changed, disabled or deleted since the last one (by
 * this node's API or another's), builds the Notifier again. A channel edited through the API is
 * used from the next event on, with no restart. Deliveries in flight finish on the old one.
 */
export class LiveNotifier {
  readonly #options: LiveNotifierOptions;
  #built: { stamp: string; notifier: Notifier } | undefined;

  constructor(options: LiveNotifierOptions) {
    this.#options = options;
  }

  /** The Notifier for the store's channels now; throws when a file channel is invalid. */
  async current(): Promise<Notifier> {
    const stored = await this.#options.store.listChannels();
    const stamp = JSON.stringify(stored.map((c) => [c.id, c.updatedAt.getTime(), c.disabledAt?.getTime() ?? null]));
    if (this.#built?.stamp === stamp) return this.#built.notifier;
    const { fileChannels, log, logger } = this.#options;
    const notifier = new Notifier({
      channels: [...this.#openEnabled(stored), ...fileChannels],
      log,
      ...(logger !== undefined && { logger }),
    });
    this.#built = { stamp, notifier };
    return notifier;
  }

  async dispatch(events: readonly NotifyEvent[], signal?: AbortSignal): Promise<DeliverySummary[]> {
    return (await this.current()).dispatch(events, signal);
  }

  async replay(deliveryId: string, signal?: AbortSignal): Promise<DeliveryRecord> {
    return (await this.current()).replay(deliveryId, signal);
  }

  /**
   * The enabled channels, secrets opened, ids their uuids (so they never collide with a file's
   * names). One that cannot be opened (no VIGIL_SECRET_KEY, another key, a config an upgrade no
   * longer accepts) is logged and left out rather than keeping every other channel silent.
   */
  #openEnabled(stored: readonly StoredChannel[]): ChannelConfig[] {
    const configs: ChannelConfig[] = [];
    for (const channel of stored) {
      if (channel.disabledAt !== undefined) continue;
      try {
        configs.push(openChannelConfig(channel, this.#options.secretBox));
      } catch (err) {
        this.#options.logger?.error(
          { channelId: channel.id, channel: channel.name, error: err instanceof Error ? err.message : String(err) },
          'notification channel left out',
        );
      }
    }
    return configs;
  }
}
