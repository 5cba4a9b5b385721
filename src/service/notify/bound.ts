import type { Notification } from './types.ts';

/**
 * Bounds on what leaves the notifier. Findings carry text from advisory databases (summaries,
 * aliases, URLs) that anyone can publish, so every string and list is cut to a size, and a cut is
 * said aloud: a `[truncated …]` marker in text, `truncated: true` on a JSON body.
 */

export const TRUNCATION_MARK = '… [truncated';

export function clipText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const omitted = text.length - maxChars;
  return `${text.slice(0, maxChars)}${TRUNCATION_MARK} ${omitted} characters]`;
}

/** One line of display text from an untrusted string: control characters and newlines become spaces. */
export function oneLine(text: string, maxChars: number): string {
  return clipText(text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim(), maxChars);
}

interface Limits {
  readonly maxString: number;
  readonly maxArray: number;
}

/** A deep copy with every string and array cut to the limits; `cut` counts what was cut. */
function clipDeep(value: unknown, limits: Limits, cut: { count: number }): unknown {
  if (typeof value === 'string') {
    if (value.length > limits.maxString) cut.count++;
    return clipText(value, limits.maxString);
  }
  if (Array.isArray(value)) {
    if (value.length > limits.maxArray) cut.count++;
    return value.slice(0, limits.maxArray).map((item) => clipDeep(item, limits, cut));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipDeep(v, limits, cut)]));
  }
  return value;
}

export interface BoundedNotification {
  /** the notification as JSON-ready data, possibly cut */
  readonly data: Record<string, unknown>;
  readonly truncated: boolean;
}

/**
 * The notification cut until its JSON fits `maxBytes`: long strings and lists first, then shorter,
 * then (for a digest) fewer listed findings. The counts always stay whole.
 */
export function boundNotification(notification: Notification, maxBytes: number): BoundedNotification {
  const steps: Limits[] = [
    { maxString: 2_000, maxArray: 50 },
    { maxString: 300, maxArray: 10 },
    { maxString: 100, maxArray: 3 },
  ];
  let data: Record<string, unknown> = notification as unknown as Record<string, unknown>;
  let truncated = false;
  for (const limits of steps) {
    if (byteLength(data) <= maxBytes) return { data, truncated };
    const cut = { count: 0 };
    data = clipDeep(notification, limits, cut) as Record<string, unknown>;
    truncated ||= cut.count > 0;
  }
  for (const key of ['topNew', 'topResolved'] as const) {
    let list = data[key];
    while (Array.isArray(list) && list.length > 0 && byteLength(data) > maxBytes) {
      list = list.slice(0, Math.floor(list.length / 2));
      data = { ...data, [key]: list };
      truncated = true;
    }
  }
  return { data, truncated };
}

export function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
