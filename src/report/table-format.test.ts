import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Inventory, Package } from '../core/types.ts';
import { parseInventoryJson } from './json-format.ts';
import { tableFormat } from './table-format.ts';
import type { RenderOptions } from './types.ts';

const golden = parseInventoryJson(readFileSync(new URL('./testdata/golden/inventory.json', import.meta.url), 'utf8'));
const options: RenderOptions = { now: new Date(0), uuid: () => '', toolVersion: '0.1.0' };
const render = (inventory: Inventory, extra: Partial<RenderOptions> = {}) =>
  tableFormat.render(inventory, { ...options, ...extra });
const pkg = (fields: Partial<Package>): Package => ({
  type: 'deb',
  name: 'x',
  version: '1',
  purl: 'pkg:deb/debian/x@1',
  locations: [],
  ...fields,
});

describe('tableFormat', () => {
  it('sorts by type, then name', () => {
    const rows = render(golden)
      .split('\n')
      .filter((line) => /^\S+\s+\S+\s+(apk|deb|rpm)\b/.test(line))
      .map((line) => line.split(/\s+/).slice(0, 3));
    expect(rows.map(([name, , type]) => `${type}/${name}`)).toEqual([
      'apk/musl',
      'deb/base-files',
      'deb/bash',
      'deb/libc6',
      'deb/libssl3',
      'deb/tzdata',
      'rpm/nodejs',
    ]);
  });

  it.each([
    ['source differs from name', pkg({ name: 'libc6', sourceName: 'glibc' }), /libc6\s+1\s+deb\s+glibc/],
    ['source equals name', pkg({ name: 'bash', sourceName: 'bash', layerIndex: 3 }), /bash\s+1\s+deb\s+#3$/m],
    [
      'layer index and short diffID',
      pkg({ layerIndex: 2, layerDiffId: `sha256:3f1a9c${'0'.repeat(58)}` }),
      /#2 3f1a9c…$/m,
    ],
  ])('%s', (_name, row, pattern) => {
    expect(render({ ...golden, packages: [row] })).toMatch(pattern);
  });

  it('says so when there are no packages and no distro', () => {
    const out = render({ ...golden, distro: undefined, packages: [], warnings: [] });
    expect(out).toContain('No packages found.');
    expect(out).toMatch(/^Distro\s+not detected$/m);
    expect(out).toMatch(/^Packages\s+0$/m);
    expect(out).not.toContain('WARNINGS');
  });

  it('escapes control characters from the image instead of sending them to the terminal', () => {
    const hostile = pkg({ name: 'evil\u001b]0;pwned\u0007', version: '1\n2' });
    const out = render(
      { ...golden, packages: [hostile], warnings: [{ path: 'a\rb', message: 'm\u009b' }] },
      { color: true },
    );
    expect(out).toContain('evil\\x1b]0;pwned\\x07');
    expect(out).toContain('1\\x0a2');
    expect(out).toContain('a\\x0db: m\\x9b');
    expect(out.replace(/\u001b\[\d+m/g, '')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('uses ANSI styles only with color', () => {
    expect(render(golden, { color: false })).not.toContain('\u001b');
    expect(render(golden)).not.toContain('\u001b');
    expect(render(golden, { color: true })).toContain('\u001b[1mNAME');
  });

  it.each([40, 50, 80])('fits package rows into %i columns with an ellipsis', (width) => {
    const long = pkg({ name: 'n'.repeat(100), version: 'v'.repeat(100), sourceName: 's'.repeat(100) });
    const lines = render({ ...golden, packages: [long], warnings: [] }, { width }).split('\n');
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(width);
    expect(lines.some((line) => line.includes('n…'))).toBe(true);
  });

  it('does not truncate without a width', () => {
    const long = pkg({ name: 'n'.repeat(300) });
    expect(render({ ...golden, packages: [long] })).toContain('n'.repeat(300));
  });

  it('renders an inventory with 300 000 packages', () => {
    const packages = Array.from({ length: 300_000 }, (_, i) => pkg({ name: `p${i}` }));
    const lines = render({ ...golden, packages, warnings: [] }, { width: 80 }).split('\n');
    expect(lines).toHaveLength(300_000 + 9);
  });
});
