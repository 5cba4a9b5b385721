import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openedContent, withLazyContent } from './lazy-content.ts';

describe('withLazyContent', () => {
  it('opens the content when first read, once, as an enumerable property', () => {
    let opens = 0;
    const entry = withLazyContent({ path: 'a' }, () => {
      opens++;
      return Readable.from(['x']);
    }) as { path: string; content?: Readable };
    expect(openedContent(entry)).toBeUndefined();
    expect(opens).toBe(0);
    expect(Object.keys(entry)).toEqual(['path', 'content']);
    const content = entry.content;
    expect(content).toBeInstanceOf(Readable);
    expect(entry.content).toBe(content);
    expect(openedContent(entry)).toBe(content);
    expect(opens).toBe(1);
  });

  // A getter closure per entry puts each in V8's dictionary mode, and its old-generation accessor
  // pair keeps what the closure captured alive past young-generation collections.
  it('reads every entry through one shared getter', () => {
    const getter = (entry: object) => Object.getOwnPropertyDescriptor(entry, 'content')?.get;
    const a = withLazyContent({}, () => Readable.from([]));
    const b = withLazyContent({}, () => Readable.from([]));
    expect(getter(a)).toBeTypeOf('function');
    expect(getter(a)).toBe(getter(b));
  });
});
