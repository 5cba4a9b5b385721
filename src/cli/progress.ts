import type { ProgressEvent } from '../scan/build-inventory.ts';

const REDRAW_INTERVAL_MS = 100;

/**
 * One status line on a terminal ("layers 3/7 (2 cached) · 312.4 MB of 1.1 GB"), redrawn in place
 * and erased at the end. Only used when stderr is a TTY: piped output stays clean.
 */
export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #now: () => number;
  #total = 0;
  #done = 0;
  #cached = 0;
  /** compressed bytes read so far, per layer: events carry each layer's running total */
  readonly #layerBytes = new Map<number, number>();
  #totalBytes = 0;
  #phase = 'resolving';
  #lastDraw = 0;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream, now: () => number = Date.now) {
    this.#stream = stream;
    this.#now = now;
  }

  readonly onProgress = (event: ProgressEvent): void => {
    switch (event.type) {
      case 'image':
        this.#total = event.image.layers.length;
        this.#totalBytes = event.image.layers.reduce((sum, layer) => sum + layer.size, 0);
        this.#phase = event.cached ? 'cached' : 'layers';
        break;
      case 'layer-start':
        if (event.cached) {
          this.#cached++;
          this.#totalBytes -= event.layer.size;
        }
        break;
      case 'layer-bytes':
        this.#layerBytes.set(event.index, event.bytes);
        break;
      case 'layer-done':
        this.#done++;
        break;
      case 'extract':
        this.#phase = `reading ${event.files} package files`;
        break;
    }
    this.#draw(event.type !== 'layer-bytes');
  };

  #bytesRead(): number {
    let sum = 0;
    for (const bytes of this.#layerBytes.values()) sum += bytes;
    return sum;
  }

  finish(): void {
    if (this.#drawn) this.#stream.write('\r\u001b[2K');
    this.#drawn = false;
  }

  #draw(force: boolean): void {
    const now = this.#now();
    if (!force && now - this.#lastDraw < REDRAW_INTERVAL_MS) return;
    this.#lastDraw = now;
    const cached = this.#cached > 0 ? ` (${this.#cached} cached)` : '';
    const bytes =
      this.#totalBytes > 0 ? ` · ${formatBytes(this.#bytesRead())} of ${formatBytes(this.#totalBytes)}` : '';
    const text = this.#phase === 'layers' ? `layers ${this.#done}/${this.#total}${cached}${bytes}` : `${this.#phase}`;
    this.#stream.write(`\r\u001b[2K${text.slice(0, (this.#stream.columns || 80) - 1)}`);
    this.#drawn = true;
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
