import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sbomFormats } from './index.ts';
import { parseInventoryJson } from './json-format.ts';
import type { RenderOptions } from './types.ts';

// Rendering the golden inventory must reproduce the reviewed files byte for byte.
// UPDATE_GOLDEN=1 npx vitest run src/report rewrites them; review the diff before committing.
const golden = new URL('./testdata/golden/', import.meta.url);
const inventory = parseInventoryJson(readFileSync(new URL('inventory.json', golden), 'utf8'));
const options: RenderOptions = {
  now: new Date('2026-11-22T10:30:00.123Z'),
  uuid: () => '5b0f8c7e-2d4a-4f61-9c3b-7a1e0d9f8b26',
  toolVersion: '0.1.0',
};

const cases: Array<{ file: string; format: string; extra?: Partial<RenderOptions> }> = [
  ...sbomFormats.map((format) => ({ file: `sbom${format.fileExtension}`, format: format.id })),
  { file: 'sbom.color.txt', format: 'table', extra: { color: true } },
  { file: 'sbom.width60.txt', format: 'table', extra: { width: 60 } },
  { file: 'sbom.files.cdx.json', format: 'cyclonedx', extra: { includeFiles: true } },
];

describe('golden renderings of testdata/golden/inventory.json', () => {
  it.each(cases)('$file', ({ file, format, extra }) => {
    const rendered = sbomFormats.find((f) => f.id === format)!.render(inventory, { ...options, ...extra });
    const path = new URL(file, golden);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, rendered);
    expect(rendered).toBe(readFileSync(path, 'utf8'));
  });

  it('the json rendering of the golden input is the input itself', () => {
    const text = readFileSync(new URL('inventory.json', golden), 'utf8');
    expect(sbomFormats.find((f) => f.id === 'json')!.render(inventory, options)).toBe(text);
  });
});
