/**
 * os/release: the image's distribution from its release files. Each file gives one candidate
 * (ExtractResult.distro, no packages); the scanner passes all candidates of the final filesystem
 * to `chooseDistro`. Wolfi and Chainguard images identify themselves only through os-release
 * (ID=wolfi / ID=chainguard); there is no wolfi-release file.
 */
import { open } from 'node:fs/promises';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';
import { RELEASE_FILES } from './release-files.ts';

export { chooseDistro } from './choose-distro.ts';

/** Release files are a few hundred bytes; anything past this is not read. */
export const MAX_RELEASE_FILE = 64 * 1024;

async function readHead(path: string, max: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(max);
    let filled = 0;
    while (filled < max) {
      const { bytesRead } = await handle.read(buf, filled, max - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buf.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

export const releaseExtractor = {
  name: 'os/release',
  version: 1,

  required(path: string): boolean {
    return RELEASE_FILES.has(path);
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    const parse = RELEASE_FILES.get(input.path);
    if (!parse) return { packages: [], warnings: [`${input.path} is not a release file`] };
    const warnings: string[] = [];
    let head: Buffer;
    try {
      head = await readHead(await input.localPath(), MAX_RELEASE_FILE);
    } catch (err) {
      return { packages: [], warnings: [`cannot read ${input.path}: ${(err as Error).message}`] };
    }
    if (head.includes(0)) return { packages: [], warnings: ['binary content, not a release file'] };
    let text = head.toString('utf8');
    if (input.size > MAX_RELEASE_FILE) {
      warnings.push(`larger than ${MAX_RELEASE_FILE} bytes; only the start was read`);
      // the last line may be cut in the middle
      const nl = text.lastIndexOf('\n');
      text = nl === -1 ? '' : text.slice(0, nl);
    }
    const facts = parse(text, input.path);
    warnings.push(...facts.warnings);
    return { packages: [], warnings, ...(facts.distro ? { distro: facts.distro } : {}) };
  },
} satisfies Extractor;
