import type { DeliveryAttempt, NotificationType, PreparedMessage } from './types.ts';

/**
 * Where deliveries are written down: every attempt, the final state, and the prepared message
 * (already free of secrets) so a failed delivery can be listed and replayed. The service adapts
 * this to its store; `InMemoryDeliveryLog` serves tests and the CLI.
 */

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface NewDelivery {
  readonly id: string;
  readonly channelId: string;
  readonly channelType: string;
  readonly notificationType: NotificationType;
  /** the event id, or the digest id for a folded scan */
  readonly notificationId: string;
  /** the events the message carries (one, or a digest's many) */
  readonly eventIds: readonly string[];
  /** ISO 8601 */
  readonly createdAt: string;
  readonly message: PreparedMessage;
}

export interface DeliveryRecord extends NewDelivery {
  readonly status: DeliveryStatus;
  readonly attempts: readonly DeliveryAttempt[];
  readonly lastError?: string;
  /** ISO 8601, when it was delivered or given up on */
  readonly finishedAt?: string;
}

export interface DeliveryLog {
  create(delivery: NewDelivery): Promise<void>;
  recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void>;
  markDelivered(id: string, at: string): Promise<void>;
  markFailed(id: string, at: string, error: string): Promise<void>;
  /** failed deliveries, oldest first */
  listFailed(options?: { readonly channelId?: string; readonly limit?: number }): Promise<DeliveryRecord[]>;
  get(id: string): Promise<DeliveryRecord | undefined>;
}

export class InMemoryDeliveryLog implements DeliveryLog {
  readonly #records = new Map<string, DeliveryRecord>();

  async create(delivery: NewDelivery): Promise<void> {
    if (this.#records.has(delivery.id)) throw new Error(`delivery ${delivery.id} already exists`);
    this.#records.set(delivery.id, { ...delivery, status: 'pending', attempts: [] });
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    const record = this.#require(id);
    this.#records.set(id, { ...record, attempts: [...record.attempts, attempt] });
  }

  async markDelivered(id: string, at: string): Promise<void> {
    const { lastError: _cleared, ...record } = this.#require(id);
    this.#records.set(id, { ...record, status: 'delivered', finishedAt: at });
  }

  async markFailed(id: string, at: string, error: string): Promise<void> {
    this.#records.set(id, { ...this.#require(id), status: 'failed', finishedAt: at, lastError: error });
  }

  async listFailed(options: { readonly channelId?: string; readonly limit?: number } = {}): Promise<DeliveryRecord[]> {
    const failed = [...this.#records.values()].filter(
      (r) => r.status === 'failed' && (options.channelId === undefined || r.channelId === options.channelId),
    );
    failed.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return options.limit === undefined ? failed : failed.slice(0, options.limit);
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.#records.get(id);
  }

  /** every record, for tests */
  all(): DeliveryRecord[] {
    return [...this.#records.values()];
  }

  #require(id: string): DeliveryRecord {
    const record = this.#records.get(id);
    if (record === undefined) throw new Error(`no delivery ${id}`);
    return record;
  }
}
