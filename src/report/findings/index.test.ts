import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findFindingsFormat, findingsFormats } from './index.ts';
import type { FindingsFormat } from './types.ts';

const formatFiles = readdirSync(new URL('.', import.meta.url)).filter((name) => name.endsWith('-format.ts'));

describe('findingsFormats registry', () => {
  it('has one format per *-format.ts file', () => {
    expect(formatFiles.length).toBe(findingsFormats.length);
  });

  it.each(formatFiles)('%s exports exactly one registered format', async (file) => {
    const module: Record<string, unknown> = await import(`./${file}`);
    const formats = Object.values(module).filter(
      (value): value is FindingsFormat => typeof value === 'object' && value !== null && 'render' in value,
    );
    expect(formats).toHaveLength(1);
    expect(findingsFormats).toContain(formats[0]);
  });

  it('ids, media types and file extensions are unique', () => {
    for (const key of ['id', 'mediaType', 'fileExtension'] as const) {
      expect(new Set(findingsFormats.map((f) => f[key])).size).toBe(findingsFormats.length);
    }
  });

  it.each(['table', 'json', 'sarif', 'cyclonedx'])('--format %s is known', (id) => {
    expect(findFindingsFormat(id)?.id).toBe(id);
  });

  it.each(['', 'spdx', 'SARIF', 'toString', '__proto__'])('knows no format %j', (id) => {
    expect(findFindingsFormat(id)).toBeUndefined();
  });
});
