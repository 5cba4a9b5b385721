/**
 * Walks a Java archive (a zip: PKWARE APPNOTE.TXT) through its central directory, recursing into
 * nested archives, under bounds on depth, entries and inflated bytes.
 *
 * Why yauzl and not a hand-written reader: it reads the central directory (not the local headers,
 * which a crafted file can make disagree with it), supports ZIP64, reads entries at random from a
 * file descriptor or a buffer, and with `validateEntrySizes` fails an entry whose inflated size
 * differs from what the central directory declares, so a budget charged with the declared size
 * holds. We use it with `decodeStrings: false` because its name validation rejects a whole archive
 * over one entry named "../x" or "C:\x"; we never write entries by name, so such a name is harmless
 * here and the rest of the archive still counts. Files on disk are read through file-reader.ts.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { openZipFile } from './file-reader.ts';

export interface ArchiveLimits {
  /** nesting below the archive on disk: 1 reads WEB-INF/lib/*.jar but not jars inside those */
  readonly maxDepth: number;
  /** central-directory entries visited, summed over the archive and everything nested in it */
  readonly maxEntries: number;
  /** bytes inflated (metadata files and nested archives), summed likewise */
  readonly maxInflatedBytes: number;
  /** MANIFEST.MF, pom.properties or pom.xml larger than this is skipped */
  readonly maxMetadataBytes: number;
  /** a nested archive up to this size is read from memory; larger ones are spooled to a temp file */
  readonly maxInMemoryArchiveBytes: number;
}

export const defaultArchiveLimits: ArchiveLimits = Object.freeze({
  maxDepth: 4,
  maxEntries: 1_000_000,
  maxInflatedBytes: 1024 * 1024 * 1024,
  maxMetadataBytes: 1024 * 1024,
  maxInMemoryArchiveBytes: 8 * 1024 * 1024,
});

/** What one archive holds that identifies packages; nested archives are reported on their own. */
export interface ArchiveContents {
  /** "app.war", "app.war!/WEB-INF/lib/x.jar": where the archive is, for locations and warnings */
  readonly label: string;
  /** base name of the archive ("x.jar") */
  readonly fileName: string;
  readonly depth: number;
  /** order in which archives were opened: the outer archive is 0, then depth-first */
  readonly index: number;
  manifest?: string;
  readonly pomProperties: Array<{ readonly entry: string; readonly text: string }>;
  /** Maven descriptors' pom.xml (META-INF/maven/<groupId>/<artifactId>/pom.xml), read for licenses */
  readonly pomXml: Array<{ readonly entry: string; readonly text: string }>;
}

const NESTED_ARCHIVE = /\.(?:jar|war|ear|jpi|hpi)$/i;

class BudgetExhausted extends Error {}

/** Shared state of one walk: bounds, warnings, the scratch dir for spooled nested archives. */
class Walk {
  entries = 0;
  inflated = 0;
  exhausted = false;
  scratch: string | undefined;
  spooled = 0;
  opened = 0;

  readonly limits: ArchiveLimits;
  readonly warn: (message: string) => void;
  readonly visit: (contents: ArchiveContents) => void;

  constructor(limits: ArchiveLimits, warn: (message: string) => void, visit: (contents: ArchiveContents) => void) {
    this.limits = limits;
    this.warn = warn;
    this.visit = visit;
  }

  /** charges `bytes` to the inflate budget before anything is inflated */
  charge(label: string, bytes: number): void {
    if (this.inflated + bytes > this.limits.maxInflatedBytes) {
      this.exhausted = true;
      this.warn(
        `${label}: more than ${this.limits.maxInflatedBytes} bytes to inflate (zip bomb?); stopped, kept what was read`,
      );
      throw new BudgetExhausted();
    }
    this.inflated += bytes;
  }

  async scratchFile(): Promise<string> {
    this.scratch ??= await mkdtemp(join(tmpdir(), 'vigil-java-'));
    return join(this.scratch, `nested-${this.spooled++}.zip`);
  }
}

const ZIP_OPTIONS: yauzl.Options = {
  lazyEntries: true,
  autoClose: false,
  decodeStrings: false,
  validateEntrySizes: true,
};

function entryName(entry: yauzl.Entry): string {
  // with decodeStrings off, fileName is the raw bytes; decode as yauzl would (UTF-8 flag, CP437, the
  // Info-ZIP Unicode Path extra field) but without its validation
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
}

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

async function inflate(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const stream: Readable = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function walkEntries(walk: Walk, zip: yauzl.ZipFile, contents: ArchiveContents): Promise<void> {
  const { label, depth } = contents;
  const { limits } = walk;
  for await (const entry of zip.eachEntry()) {
    if (++walk.entries > limits.maxEntries) {
      walk.exhausted = true;
      walk.warn(`${label}: more than ${limits.maxEntries} archive entries; stopped, kept what was read`);
      return;
    }
    const name = entryName(entry);
    if (name.endsWith('/')) continue;
    const base = baseName(name);
    const isManifest = name.toUpperCase() === 'META-INF/MANIFEST.MF';
    const isPomXml = base === 'pom.xml' && /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.xml$/.test(name);
    if (isManifest || isPomXml || base === 'pom.properties') {
      if (entry.uncompressedSize > limits.maxMetadataBytes) {
        walk.warn(`${label}!/${name}: ${entry.uncompressedSize} bytes, over ${limits.maxMetadataBytes}; skipped`);
        continue;
      }
      walk.charge(`${label}!/${name}`, entry.uncompressedSize);
      let text: string;
      try {
        text = (await inflate(zip, entry)).toString('utf8');
      } catch (err) {
        walk.warn(`${label}!/${name}: cannot be read: ${message(err)}`);
        continue;
      }
      if (isManifest) contents.manifest = text;
      else if (isPomXml) contents.pomXml.push({ entry: name, text });
      else contents.pomProperties.push({ entry: name, text });
    } else if (NESTED_ARCHIVE.test(base)) {
      if (depth + 1 > limits.maxDepth) {
        walk.warn(`${label}!/${name}: nested deeper than ${limits.maxDepth} archives; not read`);
        continue;
      }
      await walkNested(walk, zip, entry, `${label}!/${name}`, base, depth + 1);
      if (walk.exhausted) return;
    }
  }
}

/** Opens a nested archive from memory or from a spooled temp file, and walks it. */
async function walkNested(
  walk: Walk,
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  label: string,
  fileName: string,
  depth: number,
): Promise<void> {
  walk.charge(label, entry.uncompressedSize);
  if (entry.uncompressedSize <= walk.limits.maxInMemoryArchiveBytes) {
    let buffer: Buffer;
    try {
      buffer = await inflate(zip, entry);
    } catch (err) {
      walk.warn(`${label}: cannot be read: ${message(err)}`);
      return;
    }
    await walkArchiveAt(walk, () => yauzl.fromBufferPromise(buffer, ZIP_OPTIONS), label, fileName, depth);
    return;
  }
  const spool = await walk.scratchFile();
  try {
    try {
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(spool));
    } catch (err) {
      walk.warn(`${label}: cannot be read: ${message(err)}`);
      return;
    }
    await walkArchiveAt(walk, () => openZipFile(spool, ZIP_OPTIONS), label, fileName, depth);
  } finally {
    await rm(spool, { force: true });
  }
}

async function walkArchiveAt(
  walk: Walk,
  open: () => Promise<yauzl.ZipFile>,
  label: string,
  fileName: string,
  depth: number,
): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await open();
  } catch (err) {
    walk.warn(`${label}: not a readable zip archive: ${message(err)}`);
    return;
  }
  const contents: ArchiveContents = { label, fileName, depth, index: walk.opened++, pomProperties: [], pomXml: [] };
  try {
    await walkEntries(walk, zip, contents);
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) {
      walk.warn(`${label}: archive is damaged (${message(err)}); kept what was read before`);
    }
  } finally {
    zip.close();
  }
  walk.visit(contents);
}

/**
 * Walks the archive on disk at `localPath` and every archive nested in it (depth-first, central-
 * directory order). `visit` gets each archive's metadata once its entries are read (nested ones
 * before the archive holding them; `index` gives the opening order). Never throws for bad content: problems go to `warn`, naming the archive.
 */
export async function walkArchive(
  localPath: string,
  label: string,
  visit: (contents: ArchiveContents) => void,
  warn: (message: string) => void,
  limits: ArchiveLimits = defaultArchiveLimits,
): Promise<void> {
  const walk = new Walk(limits, warn, visit);
  try {
    await walkArchiveAt(walk, () => openZipFile(localPath, ZIP_OPTIONS), label, baseName(label), 0);
  } finally {
    if (walk.scratch) await rm(walk.scratch, { recursive: true, force: true });
  }
}
