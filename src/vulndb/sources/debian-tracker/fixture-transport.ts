import { createReadStream } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { VigilError } from '../../../core/errors.ts';
import type { SourceItem, Transport } from '../../types.ts';

/**
 * A Transport test double that serves fixture files or bytes by URL, for the source tests of
 * debian-tracker, alpine-secdb, kev, epss and nvd. Unknown URLs fail as the real transport does
 * for a missing mirror file. `opened` lists the URLs asked for, in order.
 */
export interface FixtureTransport extends Transport {
  readonly opened: string[];
}

export function fixtureTransport(files: Readonly<Record<string, string | Uint8Array>>): FixtureTransport {
  const opened: string[] = [];
  const lookup = (url: string) => {
    opened.push(url);
    const file = Object.hasOwn(files, url) ? files[url] : undefined;
    if (file === undefined) throw new VigilError('VIGIL_SOURCE_UNREACHABLE', `no fixture for ${url}`, { url });
    return file;
  };
  return {
    opened,
    async open(url) {
      const file = lookup(url);
      // small chunks, so that every parser meets values split across reads
      return typeof file === 'string' ? createReadStream(file, { highWaterMark: 1024 }) : Readable.from([file]);
    },
    async download(url, destination) {
      const file = lookup(url);
      if (typeof file === 'string') await copyFile(file, destination);
      else await writeFile(destination, file);
    },
  };
}

/** Everything a source yields, and what it threw at the end (if anything). */
export async function drain(
  items: AsyncIterable<SourceItem>,
): Promise<{ readonly items: SourceItem[]; readonly error?: unknown }> {
  const collected: SourceItem[] = [];
  try {
    for await (const item of items) collected.push(item);
  } catch (error) {
    return { items: collected, error };
  }
  return { items: collected };
}
