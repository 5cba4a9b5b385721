import type { Readable } from 'node:stream';

/**
 * A layer entry's `content`, opened when first read. The getter is one function shared by every
 * entry, its state on the entry: a getter closure per entry (an object literal's `get content()`)
 * put each entry in V8's dictionary mode with an accessor pair in the old generation, which kept
 * the closure and what it captured alive until the next full collection; a layer has thousands of
 * entries.
 */
const open = Symbol('opens the content');
const opened = Symbol('the content, once opened');

interface LazyContent {
  readonly [open]: () => Readable;
  [opened]: Readable | undefined;
}

/** `entry` with an enumerable `content` that `openContent` makes when first read */
export function withLazyContent<T extends object>(entry: T, openContent: () => Readable): T {
  Object.defineProperty(entry, 'content', { enumerable: true, get: readContent });
  Object.defineProperty(entry, open, { value: openContent });
  Object.defineProperty(entry, opened, { value: undefined, writable: true });
  return entry;
}

/** the content `withLazyContent` opened for the entry, if anything read it */
export function openedContent(entry: object): Readable | undefined {
  return (entry as Partial<LazyContent>)[opened];
}

function readContent(this: LazyContent): Readable {
  this[opened] ??= this[open]();
  return this[opened];
}
