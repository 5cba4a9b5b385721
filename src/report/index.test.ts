import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findSbomFormat, isSbomFormatId, sbomFormats } from './index.ts';
import type { SbomFormat } from './types.ts';

const formatFiles = readdirSync(new URL('.', import.meta.url)).filter((name) => name.endsWith('-format.ts'));

describe('sbomFormats registry', () => {
  it('has one format per *-format.ts file', () => {
    expect(formatFiles.length).toBe(sbomFormats.length);
  });

  it.each(formatFiles)('%s exports exactly one registered format', async (file) => {
    const module: Record<string, unknown> = await import(`./${file}`);
    const formats = Object.values(module).filter(
      (value): value is SbomFormat => typeof value === 'object' && value !== null && 'render' in value,
    );
    expect(formats).toHaveLength(1);
    expect(sbomFormats).toContain(formats[0]);
  });

  it('ids, media types and file extensions are unique', () => {
    for (const key of ['id', 'mediaType', 'fileExtension'] as const) {
      expect(new Set(sbomFormats.map((f) => f[key])).size).toBe(sbomFormats.length);
    }
  });

  it.each(sbomFormats.map((f) => [f.id, f] as const))('findSbomFormat(%s)', (id, format) => {
    expect(findSbomFormat(id)).toBe(format);
    expect(isSbomFormatId(id)).toBe(true);
  });

  it.each(['', 'CycloneDX', 'sarif', 'toString', '__proto__'])('knows no format %j', (id) => {
    expect(findSbomFormat(id)).toBeUndefined();
    expect(isSbomFormatId(id)).toBe(false);
  });
});
