/**
 * `npm run bench:sbom`: how fast and how lean `vigil sbom` reads an image, against the floor of
 * simply decompressing and listing the same layers (`gzip -dc LAYER | tar -t`).
 *
 * 1. A generated image: 4 gzip layers, >= 1 GiB of tar and >= 50,000 files, text that compresses
 *    about 3:1, a dpkg database of 400 packages. Built once into ~/.cache/vigil-bench (minutes).
 *    Cold scan from the OCI layout and from a loopback docker-registry, warm scan, peak RSS.
 * 2. Language packages: 3,000 npm, 500 Python, 200 jars (some nested), 20 Go binaries.
 * 3. A real Debian bookworm minbase (debootstrap, when available): cold, warm, peak RSS.
 * `npm run bench:sbom -- generated|languages|minbase` runs one part.
 *
 * Every scan runs the built CLI in a fresh process under /usr/bin/time, so RSS is the whole process's.
 * Figures are printed; docs/benchmarks.md records them with the machine.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { cpus, homedir, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseImageRef } from '../src/image/index.ts';
import { pushOciLayout } from '../src/image/registry/push.ts';
import { type BuiltImage, buildImage } from '../test/support/build-image.ts';
import { debianMinbase } from '../test/support/debian-rootfs.ts';
import { startRegistry } from '../test/support/registry.ts';
import { GENERATED, generatedImage, LANGUAGES, languagesImage } from './support/sbom-images.ts';

const run = promisify(execFile);
// the compiled CLI, run through its shebang as users run it (`npm run build` first); running src/
// through Node's type stripping would add its own ~30 MB to every RSS figure
const BIN = new URL('../dist/cli/bin.js', import.meta.url).pathname;
const BENCH_DIR = process.env.VIGIL_BENCH_DIR ?? join(homedir(), '.cache', 'vigil-bench');

interface Measured {
  seconds: number;
  maxRssMb: number;
}

/** Runs a command under GNU time; returns wall seconds and the peak RSS of the process tree's largest process. */
async function timed(command: string, args: readonly string[]): Promise<Measured> {
  const { stderr } = await run('/usr/bin/time', ['-f', 'VIGIL_TIME %e %M', command, ...args], {
    maxBuffer: 256 * 1024 * 1024,
  });
  const line = stderr.split('\n').find((l) => l.startsWith('VIGIL_TIME'));
  if (!line) throw new Error(`no timing from ${command}: ${stderr}`);
  const [, seconds, kb] = line.split(' ');
  return { seconds: Number(seconds), maxRssMb: Number(kb) / 1024 };
}

function vigil(args: readonly string[]): Promise<Measured> {
  return timed(BIN, ['sbom', ...args, '-q', '-f', 'json', '-o', '/dev/null']);
}

/** The floor: decompress and list every layer with the system's own tools, layer after layer. */
async function floor(image: BuiltImage, decompress: string): Promise<Measured> {
  let seconds = 0;
  let maxRssMb = 0;
  for (const layer of image.layers) {
    const blob = join(image.layoutDir, 'blobs', 'sha256', layer.digest.slice(7));
    const m = await timed('sh', ['-c', `${decompress} < '${blob}' | tar -t > /dev/null`]);
    seconds += m.seconds;
    maxRssMb = Math.max(maxRssMb, m.maxRssMb);
  }
  return { seconds, maxRssMb };
}

function row(label: string, m: Measured, base?: Measured): string {
  const ratio = base ? `${(m.seconds / base.seconds).toFixed(2)}x floor` : '';
  return `${label.padEnd(44)} ${m.seconds.toFixed(2).padStart(7)} s  ${m.maxRssMb.toFixed(0).padStart(5)} MB  ${ratio}`;
}

async function benchGenerated(): Promise<void> {
  const image = await generatedImage(BENCH_DIR);
  const tarBytes = image.layers.reduce((sum, l) => sum + l.tarSize, 0);
  const blobBytes = image.layers.reduce((sum, l) => sum + l.size, 0);
  console.log(
    `\ngenerated image: ${GENERATED.layers} layers, ${GENERATED.layers * GENERATED.filesPerLayer} files, ${(tarBytes / 2 ** 30).toFixed(2)} GiB tar, ` +
      `${(blobBytes / 2 ** 20).toFixed(0)} MiB gzip (${(tarBytes / blobBytes).toFixed(2)}:1)`,
  );
  const base = await floor(image, 'gzip -dc');
  console.log(row('floor: gzip -dc | tar -t, all layers', base));
  const work = await mkdtemp(join(tmpdir(), 'vigil-bench-'));
  try {
    const cache = join(work, 'cache');
    const cold = await vigil([`oci:${image.layoutDir}`, '--cache-dir', cache]);
    console.log(row('vigil sbom oci: cold', cold, base));
    const warm = await vigil([`oci:${image.layoutDir}`, '--cache-dir', cache]);
    console.log(row('vigil sbom oci: warm (inventory cache)', warm));
    const noCache = await vigil([`oci:${image.layoutDir}`, '--no-cache']);
    console.log(row('vigil sbom oci: --no-cache', noCache, base));
    if (!existsSync('/usr/bin/docker-registry')) {
      console.log('registry: skipped (apt-get install docker-registry)');
      return;
    }
    const registry = await startRegistry();
    try {
      const ref = `${registry.host}/bench/generated:1`;
      await pushOciLayout(image.layoutDir, parseImageRef(ref), { insecure: true });
      const fromRegistry = await vigil([ref, '--insecure', '--cache-dir', join(work, 'cache-registry')]);
      console.log(row('vigil sbom from loopback registry: cold', fromRegistry, base));
      const warmRegistry = await vigil([ref, '--insecure', '--cache-dir', join(work, 'cache-registry')]);
      console.log(row('vigil sbom from loopback registry: warm', warmRegistry));
    } finally {
      await registry.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function benchLanguages(): Promise<void> {
  const image = await languagesImage(BENCH_DIR);
  const tarBytes = image.layers.reduce((sum, l) => sum + l.tarSize, 0);
  const { npm, python, jars, nestedWars, goBinaries } = LANGUAGES;
  console.log(
    `\nlanguages image: ${npm} npm, ${python} Python, ${jars} jars (${nestedWars} wars nesting some), ` +
      `${goBinaries} Go binaries; ${image.layers.length} layers, ${(tarBytes / 2 ** 20).toFixed(0)} MiB tar`,
  );
  const base = await floor(image, 'gzip -dc');
  console.log(row('floor: gzip -dc | tar -t, all layers', base));
  const work = await mkdtemp(join(tmpdir(), 'vigil-bench-'));
  try {
    const out = join(work, 'sbom.json');
    const cold = await timed(BIN, [
      'sbom',
      `oci:${image.layoutDir}`,
      '-q',
      '-f',
      'json',
      '-o',
      out,
      '--cache-dir',
      join(work, 'cache'),
    ]);
    console.log(row('vigil sbom oci: cold', cold, base));
    const inventory = JSON.parse(await readFile(out, 'utf8')) as { packages: Array<{ type: string }> };
    const counts = new Map<string, number>();
    for (const p of inventory.packages) counts.set(p.type, (counts.get(p.type) ?? 0) + 1);
    console.log(`  packages found: ${[...counts].map(([type, n]) => `${type} ${n}`).join(', ')}`);
    console.log(
      row('vigil sbom oci: warm', await vigil([`oci:${image.layoutDir}`, '--cache-dir', join(work, 'cache')])),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function benchMinbase(): Promise<void> {
  const made = await debianMinbase();
  if ('skip' in made) {
    console.log(`\nDebian minbase: skipped (${made.skip})`);
    return;
  }
  const layoutDir = join(BENCH_DIR, 'sbom-minbase');
  if (!existsSync(join(layoutDir, 'index.json'))) {
    await buildImage(
      {
        layers: [
          {
            tar: () =>
              spawn('tar', ['-C', made.rootfs, '--numeric-owner', '-cf', '-', '.'], {
                stdio: ['ignore', 'pipe', 'inherit'],
              }).stdout,
          },
        ],
        refName: 'minbase',
      },
      layoutDir,
    );
  }
  const index = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(
    await readFile(join(layoutDir, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'),
  );
  const blob = join(layoutDir, 'blobs', 'sha256', manifest.layers[0].digest.slice(7));
  console.log(
    `\nDebian bookworm minbase (debootstrap): one gzip layer of ${((await stat(blob)).size / 2 ** 20).toFixed(0)} MiB`,
  );
  const base = await timed('sh', ['-c', `gzip -dc < '${blob}' | tar -t > /dev/null`]);
  console.log(row('floor: gzip -dc | tar -t', base));
  const work = await mkdtemp(join(tmpdir(), 'vigil-bench-'));
  try {
    const cache = join(work, 'cache');
    console.log(row('vigil sbom oci: cold', await vigil([`oci:${layoutDir}`, '--cache-dir', cache]), base));
    console.log(row('vigil sbom oci: warm', await vigil([`oci:${layoutDir}`, '--cache-dir', cache])));
    console.log(row('vigil sbom dir: (rootfs walk, never cached)', await vigil([`dir:${made.rootfs}`])));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`${'scan'.padEnd(44)} ${'wall'.padStart(9)}  ${'peak RSS'.padStart(8)}`);
  await mkdir(BENCH_DIR, { recursive: true });
  const only = process.argv[2];
  if (only === undefined || only === 'generated') await benchGenerated();
  if (only === undefined || only === 'languages') await benchLanguages();
  if (only === undefined || only === 'minbase') await benchMinbase();
}

await main();
