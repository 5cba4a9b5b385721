import { describe, expect, it } from 'vitest';
import type { ResolvedImage } from '../core/types.ts';
import { ProgressLine } from './progress.ts';

function terminal() {
  const writes: string[] = [];
  return { writes, stream: { write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream };
}

const layer = (size: number) => ({ digest: 'sha256:x', diffId: 'sha256:y', mediaType: 'x', size, compression: 'gzip' });
const image = { layers: [layer(1_000_000), layer(3_000_000)] } as unknown as ResolvedImage;

describe('ProgressLine', () => {
  it('adds up each layer running total once, never more than the image holds', () => {
    const { writes, stream } = terminal();
    let clock = 0;
    const line = new ProgressLine(stream, () => (clock += 1_000));
    line.onProgress({ type: 'image', image, cached: false });
    for (const bytes of [250_000, 500_000, 1_000_000]) line.onProgress({ type: 'layer-bytes', index: 0, bytes });
    for (const bytes of [1_000_000, 3_000_000]) line.onProgress({ type: 'layer-bytes', index: 1, bytes });
    expect(writes.at(-1)).toContain('4.0 MB of 4.0 MB');
  });
});
