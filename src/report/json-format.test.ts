import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import type { Inventory } from '../core/types.ts';
import { jsonFormat, parseInventoryJson } from './json-format.ts';

const goldenText = readFileSync(new URL('./testdata/golden/inventory.json', import.meta.url), 'utf8');
const golden = parseInventoryJson(goldenText);

function invalid(text: string): string {
  try {
    parseInventoryJson(text);
  } catch (err) {
    expect(isVigilError(err, 'VIGIL_IMAGE_INVALID')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('parseInventoryJson accepted the input');
}

// biome-ignore lint/suspicious/noExplicitAny: tests reach into the parsed golden document to break it
const mutate = (change: (doc: Record<string, any>) => void): string => {
  const doc = JSON.parse(goldenText);
  change(doc);
  return JSON.stringify(doc);
};

describe('parseInventoryJson', () => {
  it('reads the golden inventory with files, licenses and layers', () => {
    expect(golden.packages.map((p) => p.name)).toContain('libc6');
    expect(golden.packages.find((p) => p.name === 'nodejs')).toMatchObject({
      epoch: 1,
      modularityLabel: expect.any(String),
    });
    expect(golden.packages[0]!.files?.length).toBeGreaterThan(0);
  });

  it.each([
    ['empty text', '', /not JSON/],
    ['truncated', goldenText.slice(0, goldenText.length / 2), /not JSON/],
    ['a JSON array', '[]', /\(root\)/],
    ['null', 'null', /\(root\)/],
    [
      'a newer schema version',
      mutate((d) => {
        d.schemaVersion = 2;
      }),
      /schemaVersion/,
    ],
    [
      'a package without purl',
      mutate((d) => {
        delete d.packages[0].purl;
      }),
      /packages\.0\.purl/,
    ],
    [
      'a negative epoch',
      mutate((d) => {
        d.packages[6].epoch = -1;
      }),
      /packages\.6\.epoch/,
    ],
    [
      'an unknown transport',
      mutate((d) => {
        d.image.transport = 'ftp';
      }),
      /image\.transport/,
    ],
    [
      'a layer size as string',
      mutate((d) => {
        d.image.layers[0].size = '12';
      }),
      /image\.layers\.0\.size/,
    ],
    ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, /./],
    ['binary garbage', '\u0000\u0001\u00ff{', /not JSON/],
  ])('rejects %s with VIGIL_IMAGE_INVALID', (_name, text, message) => {
    expect(invalid(text)).toMatch(message);
  });

  it('names at most five problems', () => {
    const text = mutate((d) => {
      for (const pkg of d.packages) delete pkg.name;
    });
    expect(invalid(text)).toMatch(/\(and 2 more\)$/);
  });

  it('drops unknown keys, including __proto__, without touching prototypes', () => {
    const text = goldenText.replace(
      '"schemaVersion": 1,',
      '"schemaVersion": 1, "__proto__": {"polluted": true}, "extra": 1,',
    );
    const inventory = parseInventoryJson(text) as Inventory & Record<string, unknown>;
    expect(inventory.extra).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(inventory)).toBe(Object.prototype);
  });

  it('reads a large inventory (20 000 packages with files)', () => {
    const many: Inventory = {
      ...golden,
      packages: Array.from({ length: 20_000 }, (_, i) => ({
        ...golden.packages[i % golden.packages.length]!,
        name: `p${i}`,
      })),
    };
    expect(parseInventoryJson(jsonFormat.render(many)).packages).toHaveLength(20_000);
  });

  it('never throws anything but VIGIL_IMAGE_INVALID on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (text) => {
        try {
          parseInventoryJson(text);
        } catch (err) {
          expect(isVigilError(err, 'VIGIL_IMAGE_INVALID')).toBe(true);
        }
      }),
    );
  });
});

describe('jsonFormat.render', () => {
  it('writes keys in schema order whatever the input order', () => {
    const shuffled = JSON.parse(JSON.stringify(golden), (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).reverse())
        : value,
    );
    expect(jsonFormat.render(shuffled)).toBe(goldenText);
  });

  it('refuses an inventory that could not be read back', () => {
    const broken = { ...golden, image: { ...golden.image, layers: [{ diffId: 'x', digest: 'y', size: Number.NaN }] } };
    expect(() => jsonFormat.render(broken)).toThrow(/image\.layers\.0\.size/);
  });
});
