import type { Finding, Severity } from '../../core/types.ts';

/**
 * The events the watch service raises and the shapes the notifier hands to its channels. Producers
 * (scheduler, re-matcher, scan-age check) build `NotifyEvent`s; channels never see raw events
 * before the per-channel filter and, in digest mode, the folding of one scan's findings.
 */

/** The image an event is about, as the registry names it. */
export interface ImageIdentity {
  /** registry host[:port] or ECR account registry, e.g. "123456789012.dkr.ecr.us-west-2.amazonaws.com" */
  readonly registry: string;
  /** e.g. "team/app" */
  readonly repository: string;
  /** unset for untagged images, tracked by digest */
  readonly tag?: string;
  /** manifest digest, "sha256:..." */
  readonly digest: string;
}

/** The scan configuration an event came from: who gets told. */
export interface ConfigOwner {
  readonly configId?: string;
  readonly owner?: string;
  readonly team?: string;
}

interface EventBase {
  /** unique per event; receivers de-duplicate on it */
  readonly id: string;
  /** ISO 8601 */
  readonly occurredAt: string;
  readonly image: ImageIdentity;
  readonly config?: ConfigOwner;
}

export interface FindingEvent extends EventBase {
  readonly type: 'finding.new' | 'finding.resolved';
  /** the scan or re-match that saw the change; digest mode folds per scanId */
  readonly scanId: string;
  readonly finding: Finding;
}

export type SeverityCounts = Readonly<Record<Severity, number>>;

export interface ScanCompletedEvent extends EventBase {
  readonly type: 'scan.completed';
  readonly scanId: string;
  /** open findings by severity after the scan */
  readonly counts: SeverityCounts;
  readonly newCount: number;
  readonly resolvedCount: number;
}

export interface ScanFailedEvent extends EventBase {
  readonly type: 'scan.failed';
  readonly scanId: string;
  /** a VigilError code where there is one */
  readonly error: { readonly code: string; readonly message: string };
}

export interface ScanExpiredEvent extends EventBase {
  readonly type: 'image.scan-expired';
  /** ISO 8601, or null when the image was never scanned */
  readonly lastScannedAt: string | null;
  /** the window that was exceeded (30 for FedRAMP) */
  readonly windowDays: number;
}

export type NotifyEvent = FindingEvent | ScanCompletedEvent | ScanFailedEvent | ScanExpiredEvent;
export type EventType = NotifyEvent['type'];
export const eventTypes: readonly EventType[] = [
  'finding.new',
  'finding.resolved',
  'scan.completed',
  'scan.failed',
  'image.scan-expired',
];

/** All finding events of one scan folded into one message (digest mode). */
export interface ScanDigest {
  readonly type: 'scan.digest';
  /** derived from the scan id, stable across replays */
  readonly id: string;
  readonly occurredAt: string;
  readonly scanId: string;
  readonly image: ImageIdentity;
  readonly config?: ConfigOwner;
  readonly newCount: number;
  readonly resolvedCount: number;
  /** new findings by severity */
  readonly newBySeverity: SeverityCounts;
  /** the most severe new findings, at most the channel's `top` */
  readonly topNew: readonly Finding[];
  readonly topResolved: readonly Finding[];
  /** ids of the folded events */
  readonly eventIds: readonly string[];
}

/** What a channel renders: one event, or one scan's digest. */
export type Notification = NotifyEvent | ScanDigest;
export type NotificationType = Notification['type'];

/** Injected so tests neither wait nor depend on chance. */
export interface NotifyClock {
  /** milliseconds since the epoch */
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** in [0, 1); backoff jitter */
  readonly random: () => number;
}

/** One try at delivering, as the delivery log keeps it. */
export interface DeliveryAttempt {
  /** ISO 8601 */
  readonly at: string;
  readonly ok: boolean;
  /** HTTP status or SMTP reply code, when one came back */
  readonly status?: number;
  /** why it failed; never contains a secret */
  readonly error?: string;
  /** the wait before the next attempt, when one follows */
  readonly retryInMs?: number;
}

export interface DeliveryOutcome {
  readonly ok: boolean;
  readonly attempts: readonly DeliveryAttempt[];
  /** the last failure, when not ok */
  readonly error?: string;
}

/** A request as stored for inspection: URL or address, headers with secrets replaced, the body. */
export interface RecordedRequest {
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * What a channel produced from a notification, free of secrets: the delivery log keeps it and
 * `Notifier.replay` sends it again (signatures and credentials are applied at send time).
 */
export interface PreparedMessage {
  /** the channel-specific content: JSON body, mail parts, SNS subject and message */
  readonly content: Readonly<Record<string, unknown>>;
  /** the redacted view of what goes on the wire */
  readonly request: RecordedRequest;
}

export interface SendContext {
  /** the delivery id, sent along where the protocol has room (X-Vigil-Delivery) */
  readonly deliveryId: string;
  readonly notificationType: NotificationType;
  readonly onAttempt: (attempt: DeliveryAttempt) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

/** A configured channel, ready to render and send. */
export interface ChannelSender {
  prepare(notification: Notification): PreparedMessage;
  send(message: PreparedMessage, context: SendContext): Promise<DeliveryOutcome>;
}
