import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAR_END, tarData, tarHeader } from '../../../test/support/build-image.ts';
import { isVigilError } from '../../core/errors.ts';
import { indexTar } from './tar-index.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-tar-index-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function archive(name: string, ...parts: Buffer[]): Promise<string> {
  const file = join(work, name);
  await writeFile(file, Buffer.concat(parts));
  return file;
}

const pax = (records: Record<string, string>) => {
  const body = Object.entries(records)
    .map(([k, v]) => {
      const line = ` ${k}=${v}\n`;
      let length = line.length + 1;
      while (`${length}${line}`.length !== length) length++;
      return `${length}${line}`;
    })
    .join('');
  return Buffer.concat([
    tarHeader({ name: 'PaxHeader', typeflag: 'x', size: body.length }),
    tarData(Buffer.from(body)),
  ]);
};

describe('indexTar', () => {
  it('records data offsets under ustar, pax and GNU long names, links included', async () => {
    const longPax = `blobs/sha256/${'p'.repeat(150)}`;
    const longGnu = `blobs/sha256/${'g'.repeat(150)}`;
    const file = await archive(
      'names.tar',
      tarHeader({ name: './manifest.json', size: 2 }),
      tarData(Buffer.from('[]')),
      pax({ path: longPax }),
      tarHeader({ name: 'short', size: 3 }),
      tarData(Buffer.from('pax')),
      tarHeader({ name: '././@LongLink', typeflag: 'L', size: longGnu.length + 1, format: 'gnu' }),
      tarData(Buffer.from(`${longGnu}\0`)),
      tarHeader({ name: 'short2', size: 3, format: 'gnu' }),
      tarData(Buffer.from('gnu')),
      tarHeader({ name: 'id/layer.tar', typeflag: '2', linkname: '../short2' }),
      tarHeader({ name: 'hard', typeflag: '1', linkname: './manifest.json' }),
      TAR_END,
    );
    const members = await indexTar(file);
    expect(members.get('manifest.json')).toEqual({ offset: 512, size: 2 });
    expect(members.get(longPax)).toEqual({ offset: 512 * 5, size: 3 });
    expect(members.get(longGnu)).toEqual({ offset: 512 * 9, size: 3 });
    expect(members.get('short2')).toBeUndefined();
    expect(members.get('hard')).toEqual(members.get('manifest.json'));
    expect(members.has('id/layer.tar')).toBe(false);
  });

  it('serves a symlink member as its target', async () => {
    const file = await archive(
      'links.tar',
      tarHeader({ name: 'abc.tar', size: 1 }),
      tarData(Buffer.from('x')),
      tarHeader({ name: 'abc/layer.tar', typeflag: '2', linkname: '../abc.tar' }),
      tarHeader({ name: 'escape', typeflag: '2', linkname: '../../../etc/passwd' }),
      TAR_END,
    );
    const members = await indexTar(file);
    expect(members.get('abc/layer.tar')).toEqual({ offset: 512, size: 1 });
    expect(members.has('escape')).toBe(false);
  });

  it.each([
    ['a bad checksum', [tarHeader({ name: 'x', size: 0, badChecksum: true })]],
    ['a member past the end', [tarHeader({ name: 'x', size: 4096 }), Buffer.alloc(512)]],
    ['a short header', [Buffer.alloc(100, 1)]],
  ])('rejects %s', async (what, parts) => {
    const file = await archive(`bad-${what.replaceAll(' ', '-')}.tar`, ...parts, Buffer.alloc(0));
    try {
      const members = await indexTar(file);
      // A file shorter than one header has no members at all.
      expect(what).toBe('a short header');
      expect(members.size).toBe(0);
    } catch (err) {
      expect(isVigilError(err, 'VIGIL_IMAGE_INVALID')).toBe(true);
    }
  });

  it('fails with nothing but VigilError on arbitrary bytes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), async (bytes, withHeader) => {
        const parts = withHeader
          ? [tarHeader({ name: 'x', size: bytes.length }), Buffer.from(bytes)]
          : [Buffer.from(bytes)];
        const file = await archive(`fuzz-${run++}.tar`, ...parts);
        try {
          await indexTar(file);
        } catch (err) {
          if (!isVigilError(err)) throw err;
        }
      }),
      { numRuns: 200 },
    );
  });
});
