/**
 * The images bench/sbom.ts measures, generated deterministically (same bytes on every machine) and
 * kept under the bench directory between runs, since building them takes minutes.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip } from '../../src/vulndb/zip-writer.ts';
import { type BuiltImage, buildImage, type FileContent, type LayerSpec } from '../../test/support/build-image.ts';

/** A deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 8 MiB of text: words from a 2,048-word vocabulary drawn with a Zipf(1.1) law, as words are in
 * source code and prose. gzip gets about 3.3:1 on it (3.8:1 at level 6), like real image layers.
 */
export function corpus(random: () => number): Buffer {
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789_';
  const words = Array.from({ length: 2048 }, () => {
    const length = 2 + Math.floor(random() * 10);
    let word = '';
    for (let i = 0; i < length; i++) word += letters[Math.floor(random() * letters.length)];
    return word;
  });
  const cumulative: number[] = [];
  let sum = 0;
  for (let rank = 1; rank <= words.length; rank++) {
    sum += 1 / rank ** 1.1;
    cumulative.push(sum);
  }
  const pick = (): string => {
    const x = random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo] as string;
  };
  const parts: string[] = [];
  let size = 0;
  while (size < 8 * 1024 * 1024) {
    const word = pick();
    parts.push(word, random() < 0.08 ? '\n' : ' ');
    size += word.length + 1;
  }
  return Buffer.from(parts.join(''));
}

export function dpkgStatus(count: number): string {
  const stanzas: string[] = [];
  for (let i = 0; i < count; i++) {
    stanzas.push(
      [
        `Package: bench-pkg-${i}`,
        'Status: install ok installed',
        'Architecture: amd64',
        `Source: bench-src-${Math.floor(i / 3)}`,
        `Version: 1.${i % 17}.${i}-${(i % 5) + 1}`,
        'Description: generated benchmark package',
        '',
      ].join('\n'),
    );
  }
  return stanzas.join('\n');
}

const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';

async function cached(layoutDir: string, build: () => Promise<BuiltImage>): Promise<BuiltImage> {
  const manifestFile = join(layoutDir, 'built.json');
  if (existsSync(manifestFile)) return JSON.parse(await readFile(manifestFile, 'utf8')) as BuiltImage;
  await rm(layoutDir, { recursive: true, force: true });
  console.log(`building ${layoutDir} (once; a few minutes)...`);
  const image = await build();
  await writeFile(manifestFile, JSON.stringify(image));
  return image;
}

export const GENERATED = { layers: 4, filesPerLayer: 13_000, bytesPerLayer: 300 * 1024 * 1024 };

/** >= 1 GiB of tar in 4 layers, 52,000 files, a dpkg database of 400 packages. */
export function generatedImage(benchDir: string): Promise<BuiltImage> {
  const layoutDir = join(benchDir, 'sbom-generated-v2');
  return cached(layoutDir, async () => {
    const random = prng(20261201);
    const text = corpus(random);
    const layers: LayerSpec[] = [];
    for (let layer = 0; layer < GENERATED.layers; layer++) {
      const files: Record<string, FileContent> = {};
      const mean = GENERATED.bytesPerLayer / GENERATED.filesPerLayer;
      for (let i = 0; i < GENERATED.filesPerLayer; i++) {
        // mostly small files, a long tail of larger ones, as in application images
        const size = Math.floor(random() < 0.9 ? random() * mean : mean * (4 + random() * 10));
        const offset = Math.floor(random() * (text.length - size));
        files[`opt/app${layer}/d${i % 97}/f${i}.txt`] = text.subarray(offset, offset + size);
      }
      if (layer === 0) {
        files['etc/os-release'] = OS_RELEASE;
        files['var/lib/dpkg/status'] = dpkgStatus(400);
      }
      layers.push({ files, createdBy: `generated layer ${layer}` });
    }
    return buildImage({ layers, refName: 'bench' }, layoutDir);
  });
}

export const LANGUAGES = { npm: 3000, python: 500, jars: 200, nestedWars: 20, jarsPerWar: 5, goBinaries: 20 };
const GO_BINARIES = ['/usr/bin/docker-registry', '/usr/bin/skopeo'];

/**
 * Issue 3's image: 3,000 npm packages in node_modules, 500 Python dist-infos, 200 jars (100 of
 * them nested five to a war) and 20 Go binaries (copies of Debian's Go-built docker-registry and
 * skopeo, when installed), over a Debian base layer.
 */
export function languagesImage(benchDir: string): Promise<BuiltImage> {
  const layoutDir = join(benchDir, 'sbom-languages');
  return cached(layoutDir, async () => {
    const random = prng(3000500);
    const text = corpus(random);
    const slice = (size: number): Buffer => {
      const offset = Math.floor(random() * (text.length - size));
      return text.subarray(offset, offset + size);
    };
    const base: Record<string, FileContent> = { 'etc/os-release': OS_RELEASE, 'var/lib/dpkg/status': dpkgStatus(120) };

    const npm: Record<string, FileContent> = {
      'srv/app/package.json': JSON.stringify({ name: 'bench-app', version: '1.0.0' }),
    };
    for (let i = 0; i < LANGUAGES.npm; i++) {
      const dir = i % 10 === 0 ? `srv/app/node_modules/@scope${i % 7}/pkg-${i}` : `srv/app/node_modules/pkg-${i}`;
      npm[`${dir}/package.json`] = JSON.stringify({ name: dir.split('node_modules/')[1], version: `1.${i % 30}.${i}` });
      npm[`${dir}/index.js`] = slice(2_000 + Math.floor(random() * 20_000));
      npm[`${dir}/README.md`] = slice(1_000 + Math.floor(random() * 4_000));
    }

    const python: Record<string, FileContent> = {};
    const site = 'usr/local/lib/python3.11/site-packages';
    for (let i = 0; i < LANGUAGES.python; i++) {
      const info = `${site}/bench_py_${i}-2.${i % 9}.${i}.dist-info`;
      python[`${info}/METADATA`] =
        `Metadata-Version: 2.1\nName: bench-py-${i}\nVersion: 2.${i % 9}.${i}\nLicense: MIT\n\n`;
      python[`${info}/RECORD`] = `bench_py_${i}/__init__.py,,\n`;
      python[`${site}/bench_py_${i}/__init__.py`] = slice(4_000 + Math.floor(random() * 30_000));
    }

    const scratch = await mkdtemp(join(tmpdir(), 'vigil-bench-jars-'));
    const java: Record<string, FileContent> = {};
    const jar = async (group: string, artifact: string, version: string): Promise<Buffer> => {
      const file = join(scratch, `${artifact}.jar`);
      const classes: Array<readonly [string, Buffer | string]> = [];
      for (let c = 0; c < 20; c++) classes.push([`${group.replaceAll('.', '/')}/C${c}.class`, slice(3_000)]);
      await writeZip(file, [
        ['META-INF/MANIFEST.MF', `Manifest-Version: 1.0\nImplementation-Title: ${artifact}\n`],
        [
          `META-INF/maven/${group}/${artifact}/pom.properties`,
          `groupId=${group}\nartifactId=${artifact}\nversion=${version}\n`,
        ],
        ...classes,
      ]);
      return readFile(file);
    };
    const loose = LANGUAGES.jars - LANGUAGES.nestedWars * LANGUAGES.jarsPerWar;
    for (let i = 0; i < loose; i++)
      java[`opt/lib/bench-${i}-3.${i}.jar`] = await jar('org.bench', `bench-${i}`, `3.${i}`);
    for (let w = 0; w < LANGUAGES.nestedWars; w++) {
      const inner: Array<readonly [string, Buffer]> = [];
      for (let j = 0; j < LANGUAGES.jarsPerWar; j++) {
        inner.push([`WEB-INF/lib/nested-${w}-${j}-4.${j}.jar`, await jar('org.nested', `nested-${w}-${j}`, `4.${j}`)]);
      }
      const war = join(scratch, `app-${w}.war`);
      await writeZip(war, [['WEB-INF/web.xml', '<web-app/>'], ...inner]);
      java[`opt/webapps/app-${w}.war`] = await readFile(war);
    }
    await rm(scratch, { recursive: true, force: true });

    const go: Record<string, FileContent> = {};
    const binaries = await Promise.all(GO_BINARIES.filter((path) => existsSync(path)).map((path) => readFile(path)));
    for (let i = 0; i < LANGUAGES.goBinaries && binaries.length > 0; i++) {
      go[`usr/local/bin/tool-${i}`] = { data: binaries[i % binaries.length] as Buffer, mode: 0o755 };
    }

    return buildImage(
      {
        layers: [
          { files: base, createdBy: 'debian base' },
          { files: npm, createdBy: 'COPY node app' },
          { files: python, createdBy: 'pip install' },
          { files: java, createdBy: 'COPY jars and wars' },
          { files: go, createdBy: 'COPY go tools' },
        ],
        refName: 'languages',
      },
      layoutDir,
    );
  });
}
