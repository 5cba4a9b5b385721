import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineLazy, lazyValueIfRead } from './lazy-property.ts';

describe('defineLazy', () => {
  it('computes the value when first read, once, as an enumerable property', () => {
    let computed = 0;
    const target = defineLazy({ a: 1 }, 'b', () => {
      computed++;
      return { n: 2 };
    });
    expect(computed).toBe(0);
    expect(lazyValueIfRead(target, 'b')).toBeUndefined();
    expect(Object.keys(target)).toEqual(['a', 'b']);
    const value = target.b;
    expect(value).toEqual({ n: 2 });
    expect(target.b).toBe(value);
    expect({ ...target }).toEqual({ a: 1, b: { n: 2 } });
    expect(lazyValueIfRead(target, 'b')).toBe(value);
    expect(computed).toBe(1);
  });

  it('asks again after a compute that threw', () => {
    let fail = true;
    const target = defineLazy({}, 'x', () => {
      if (fail) throw new Error('not yet');
      return 'ready';
    });
    expect(() => target.x).toThrow('not yet');
    fail = false;
    expect(target.x).toBe('ready');
  });

  // A getter closure per object puts each in V8's dictionary mode, and its old-generation accessor
  // pair keeps what the closure captured alive past young-generation collections.
  it('gives every object one shared getter per key, and keeps objects of several keys apart', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('p', 'q'), fc.integer()), { minLength: 2 }), (specs) => {
        const objects = specs.map(([key, n]) => ({ key, n, target: defineLazy({}, key, () => n) }));
        for (const { key, n, target } of objects) {
          expect((target as Record<string, number>)[key]).toBe(n);
          const getter = Object.getOwnPropertyDescriptor(target, key)?.get;
          const same = objects.find((o) => o.key === key)?.target as object;
          expect(getter).toBe(Object.getOwnPropertyDescriptor(same, key)?.get);
        }
      }),
    );
  });
});
