/**
 * lang/go and lang/rust through the real pipeline: a layered OCI image built in-test, captured by
 * `required` from tar modes and sizes, merged with whiteouts, each package attributed to its layer.
 * (Cross-module; the integrator may move it under test/.)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../../../test/support/build-image.ts';
import { openImage } from '../../../image/index.ts';
import { buildInventory } from '../../../scan/index.ts';
import { chooseDistro } from '../../os/release/index.ts';
import { rustExtractor } from '../rust/index.ts';
import { goExtractor } from './index.ts';

const here = dirname(fileURLToPath(import.meta.url));

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-lang-binaries-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('Go and Rust binaries in a layered image', () => {
  it('finds them by mode, attributes them to their layer, and forgets a binary a later layer deletes', async () => {
    const goBinary = await readFile(join(here, 'testdata/bin/go-inline-elf64le'));
    const rustBinary = await readFile(join(here, '../rust/testdata/auditable/hello-auditable'));
    const cargoLock = await readFile(join(here, '../rust/testdata/trivy/v3/Cargo.lock'));
    const image = await buildImage(
      {
        layers: [
          {
            files: {
              'usr/local/bin/app': { data: goBinary, mode: 0o755 },
              'usr/local/bin/old-tool': { data: goBinary, mode: 0o755 },
              'usr/local/bin/app.bin.bak': { data: goBinary, mode: 0o644 }, // not executable: not read
            },
          },
          {
            files: {
              'usr/local/bin/uses_json': { data: rustBinary, mode: 0o755 },
              'src/app/Cargo.lock': cargoLock,
            },
            whiteouts: ['usr/local/bin/old-tool'],
          },
        ],
      },
      join(work, 'layout'),
    );
    const source = openImage(`oci:${image.layoutDir}`);
    try {
      const { inventory } = await buildInventory(source, {
        extractors: [goExtractor, rustExtractor],
        chooseDistro,
        cacheDir: join(work, 'cache'),
      });
      expect(inventory.warnings).toEqual([]);
      const where = (name: string) =>
        inventory.packages.filter((p) => p.name === name).map((p) => [p.locations.join(','), p.layerIndex]);
      expect(where('stdlib')).toEqual([['usr/local/bin/app', 0]]);
      expect(where('github.com/google/uuid')).toEqual([['usr/local/bin/app', 0]]);
      expect(where('serde_json')).toEqual([['usr/local/bin/uses_json', 1]]);
      expect(where('regex')).toEqual([['src/app/Cargo.lock', 1]]);
      expect(inventory.packages.some((p) => p.locations.includes('usr/local/bin/old-tool'))).toBe(false);
      expect(inventory.packages.some((p) => p.locations.includes('usr/local/bin/app.bin.bak'))).toBe(false);
    } finally {
      await source.close();
    }
  });
});
