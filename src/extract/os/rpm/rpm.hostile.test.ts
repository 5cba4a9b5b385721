import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { inputFromFixture } from '../../testing.ts';
import type { ExtractResult } from '../../types.ts';
import { rpmExtractor } from './index.ts';
import { RpmTag } from './installed-package.ts';
import { headerBlob, str } from './testing.ts';

const fixture = (path: string) => readFileSync(fileURLToPath(new URL(`testdata/${path}`, import.meta.url)));
const bdb = fixture('libuuid/var/lib/rpm/Packages');
const ndb = fixture('sle15-bci/usr/lib/sysimage/rpm/Packages.db');
const sqlite = fixture('cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite');

const scratch = mkdtempSync(join(tmpdir(), 'vigil-rpm-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let written = 0;

/** Runs the extractor on `bytes` stored under a fresh directory as `imagePath`'s basename. */
async function extractBytes(bytes: Buffer, imagePath = 'var/lib/rpm/Packages'): Promise<ExtractResult> {
  const dir = join(scratch, String(written++));
  const localPath = join(mkdtempSync(`${dir}-`), imagePath.split('/').at(-1)!);
  writeFileSync(localPath, bytes);
  const result = await rpmExtractor.extract({
    path: imagePath,
    size: bytes.length,
    mode: 0o644,
    localPath: async () => localPath,
    read: () => Promise.reject(new Error('the rpm extractor reads localPath')),
    fs: {
      stat: async () => undefined,
      readFile: async () => undefined,
      localPath: async () => undefined,
      list: async () => [],
    },
  });
  rmSync(localPath, { force: true });
  return result;
}

function wellFormed(result: ExtractResult): void {
  expect(result.warnings.every((w) => typeof w === 'string' && w.length > 0)).toBe(true);
  expect(result.warnings.length).toBeLessThanOrEqual(101);
  for (const pkg of result.packages) {
    expect(pkg.type).toBe('rpm');
    expect(pkg.name.length).toBeGreaterThan(0);
    expect(pkg.purl.startsWith('pkg:rpm/')).toBe(true);
  }
}

const formats = [
  ['BerkeleyDB', bdb, 'var/lib/rpm/Packages'],
  ['NDB', ndb, 'usr/lib/sysimage/rpm/Packages.db'],
  ['SQLite', sqlite, 'var/lib/rpm/rpmdb.sqlite'],
] as const;

describe('os/rpm on hostile databases', () => {
  it.each(formats)('%s: an empty file gives a warning and no packages', async (_name, _bytes, path) => {
    expect(await extractBytes(Buffer.alloc(0), path)).toEqual({
      packages: [],
      warnings: ['rpm database is an empty file'],
    });
  });

  it.each(formats)('%s path holding a text file gives a warning', async (_name, _bytes, path) => {
    const result = await extractBytes(Buffer.from('this is not a database\n'.repeat(40)), path);
    expect(result).toEqual({
      packages: [],
      warnings: ['not an rpm database: neither SQLite, NDB nor BerkeleyDB hash'],
    });
  });

  it.each(formats)(
    '%s: every truncation keeps a prefix of the packages and never loses one silently',
    async (_n, bytes, path) => {
      const whole = await extractBytes(bytes, path);
      const names = whole.packages.map((p) => p.name);
      const size = bytes.length;
      const cuts = [
        1,
        16,
        100,
        511,
        4096,
        8192,
        4096 * 5 + 7,
        size >> 2,
        size >> 1,
        (size * 3) >> 2,
        size - 4096,
        size - 1,
      ];
      for (const cut of cuts) {
        const result = await extractBytes(bytes.subarray(0, cut), path);
        wellFormed(result);
        for (const pkg of result.packages) expect(names).toContain(pkg.name);
        if (result.packages.length < names.length) expect(result.warnings, `cut at ${cut}`).not.toEqual([]);
      }
    },
  );

  it.each(formats)('%s: random byte flips never throw (fast-check)', async (_name, bytes, path) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 32 }),
        async (flips) => {
          const copy = Buffer.from(bytes);
          for (const [at, value] of flips) copy[at] = value;
          wellFormed(await extractBytes(copy, path));
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** Offsets of pages of a given type in a little-endian BerkeleyDB file (db_page.h: type at byte 25). */
function pagesOfType(bytes: Buffer, type: number): number[] {
  const pageSize = bytes.readUInt32LE(20);
  const pages: number[] = [];
  for (let p = 1; p * pageSize < bytes.length; p++) if (bytes[p * pageSize + 25] === type) pages.push(p);
  return pages;
}

/** Byte-swaps every structure the reader uses, turning the fixture into what a big-endian host writes. */
function bigEndianCopy(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const pageSize = bytes.readUInt32LE(20);
  const swap32 = (at: number) => copy.writeUInt32BE(bytes.readUInt32LE(at), at);
  const swap16 = (at: number) => copy.writeUInt16BE(bytes.readUInt16LE(at), at);
  for (const at of [12, 16, 20, 32]) swap32(at);
  for (let page = pageSize; page < bytes.length; page += pageSize) {
    for (const at of [8, 12, 16]) swap32(page + at);
    for (const at of [20, 22]) swap16(page + at);
    const type = bytes[page + 25];
    if (type !== 13 && type !== 2) continue;
    const entries = bytes.readUInt16LE(page + 20);
    for (let item = 0; item < entries; item++) {
      const at = bytes.readUInt16LE(page + 26 + item * 2);
      swap16(page + 26 + item * 2);
      if (bytes[page + at] === 3) for (const field of [4, 8]) swap32(page + at + field);
    }
  }
  return copy;
}

describe('os/rpm BerkeleyDB structure attacks', () => {
  const pageSize = bdb.readUInt32LE(20);

  it.each([
    ['0', 0],
    ['not a power of two', 4000],
    ['huge', 0x7fffffff],
  ])('refuses a page size that is %s', async (_name, value) => {
    const copy = Buffer.from(bdb);
    copy.writeUInt32LE(value, 20);
    const result = await extractBytes(copy);
    expect(result.packages).toEqual([]);
    expect(result.warnings.join()).toMatch(/page size/);
  });

  it('stops an overflow chain that loops back on itself', async () => {
    const copy = Buffer.from(bdb);
    const chained = pagesOfType(bdb, 7).filter((p) => bdb.readUInt32LE(p * pageSize + 16) !== 0);
    expect(chained.length).toBeGreaterThan(0);
    for (const p of chained) copy.writeUInt32LE(p, p * pageSize + 16);
    const result = await extractBytes(copy);
    expect(result.packages).toEqual([]);
    expect(result.warnings.join()).toMatch(/loops back/);
  });

  it('refuses an overflow length beyond any rpm header instead of allocating it', async () => {
    const copy = Buffer.from(bdb);
    for (const p of pagesOfType(bdb, 13)) {
      const page = p * pageSize;
      for (let item = 1; item < bdb.readUInt16LE(page + 20); item += 2) {
        const at = page + bdb.readUInt16LE(page + 26 + item * 2);
        if (bdb[at] === 3) copy.writeUInt32LE(0xffffffff, at + 8);
      }
    }
    const result = await extractBytes(copy);
    expect(result.packages).toEqual([]);
    expect(result.warnings.join()).toMatch(/overflow length 4294967295 is out of range/);
  });

  it('reports a last page number beyond the file and reads what is there', async () => {
    const copy = Buffer.from(bdb);
    copy.writeUInt32LE(0xfffffff0, 32);
    const result = await extractBytes(copy);
    expect(result.packages.map((p) => p.name)).toEqual(['libuuid']);
    expect(result.warnings.join()).toMatch(/names page 4294967280 as last/);
  });

  it('reads a big-endian database like the little-endian one', async () => {
    const little = await extractBytes(bdb);
    const big = await extractBytes(bigEndianCopy(bdb));
    expect(big).toEqual(little);
    expect(big.packages.map((p) => p.name)).toEqual(['libuuid']);
  });
});

describe('os/rpm NDB structure attacks', () => {
  it.each([
    ['0', 0],
    ['huge', 0xffffffff],
  ])('refuses a slot page count that is %s', async (_name, value) => {
    const copy = Buffer.from(ndb);
    copy.writeUInt32LE(value, 12);
    const result = await extractBytes(copy, 'var/lib/rpm/Packages.db');
    expect(result.packages).toEqual([]);
    expect(result.warnings.join()).toMatch(/slot page count/);
  });

  it('skips a package whose blob length lies and keeps the others', async () => {
    const copy = Buffer.from(ndb);
    // first used slot (after the 32-byte header): blkoff at +8; the blob's length field at +12
    const blobAt = ndb.readUInt32LE(32 + 8) * 16;
    copy.writeUInt32LE(0xfffffff0, blobAt + 12);
    const result = await extractBytes(copy, 'var/lib/rpm/Packages.db');
    expect(result.packages).toHaveLength(34);
    expect(result.warnings.join()).toMatch(/blob length 4294967280 does not fit/);
  });

  it('abandons the slot table at a bad slot magic, keeping the packages before it', async () => {
    const copy = Buffer.from(ndb);
    copy.write('XXXX', 32 + 16 * 3, 'latin1');
    const result = await extractBytes(copy, 'var/lib/rpm/Packages.db');
    expect(result.packages.map((p) => p.name)).toEqual(['system-user-root', 'filesystem', 'glibc']);
    expect(result.warnings.join()).toMatch(/bad magic; slot table abandoned/);
  });

  it('reads a package referenced by two slots once', async () => {
    const copy = Buffer.from(ndb);
    ndb.copy(copy, 32 + 16, 32, 48);
    const result = await extractBytes(copy, 'var/lib/rpm/Packages.db');
    expect(result.packages.filter((p) => p.name === 'system-user-root')).toHaveLength(1);
    expect(result.warnings.join()).toMatch(/appears in two slots/);
  });
});

describe('os/rpm SQLite specifics', () => {
  const nevra = (name: string) => [str(RpmTag.NAME, name), str(RpmTag.VERSION, '1.0'), str(RpmTag.RELEASE, '1.el9')];

  function sqliteDb(rows: unknown[], configure?: (db: Database.Database) => void): Buffer {
    const dir = mkdtempSync(join(scratch, 'build-'));
    const path = join(dir, 'rpmdb.sqlite');
    const db = new Database(path);
    configure?.(db);
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const row of rows) insert.run(row);
    db.close();
    const bytes = readFileSync(path);
    rmSync(dir, { recursive: true, force: true });
    return bytes;
  }

  it('reads MODULARITYLABEL and skips gpg-pubkey pseudo-packages', async () => {
    const bytes = sqliteDb([
      headerBlob([...nevra('nodejs'), str(RpmTag.MODULARITYLABEL, 'nodejs:18:9030020231109:rhel9')]),
      headerBlob([str(RpmTag.NAME, 'gpg-pubkey'), str(RpmTag.VERSION, 'fd431d51'), str(RpmTag.RELEASE, '4ae0493b')]),
      headerBlob(nevra('bash')),
    ]);
    const result = await extractBytes(bytes, 'var/lib/rpm/rpmdb.sqlite');
    expect(result.packages.map((p) => [p.name, p.modularityLabel])).toEqual([
      ['nodejs', 'nodejs:18:9030020231109:rhel9'],
      ['bash', undefined],
    ]);
    expect(result.warnings).toEqual([]);
  });

  it('warns about a row without a blob and a header it cannot parse, keeping the rest', async () => {
    const bytes = sqliteDb(['text, not a blob', Buffer.from([0, 0, 0, 9]), headerBlob(nevra('bash'))]);
    const result = await extractBytes(bytes, 'var/lib/rpm/rpmdb.sqlite');
    expect(result.packages.map((p) => p.name)).toEqual(['bash']);
    expect(result.warnings).toEqual([
      'SQLite Packages row 1 holds no blob; skipped',
      'header #1: header blob of 4 bytes is too short; skipped',
    ]);
  });

  it('warns when the Packages table is missing', async () => {
    const dir = mkdtempSync(join(scratch, 'empty-'));
    const db = new Database(join(dir, 'x.sqlite'));
    db.exec('CREATE TABLE Other (x)');
    db.close();
    const result = await extractBytes(readFileSync(join(dir, 'x.sqlite')), 'var/lib/rpm/rpmdb.sqlite');
    expect(result.packages).toEqual([]);
    expect(result.warnings.join()).toMatch(/no such table: Packages/);
  });

  it('reads a WAL-mode database without leaving -wal or -shm files beside it', async () => {
    const bytes = sqliteDb([headerBlob(nevra('bash'))], (db) => db.pragma('journal_mode = WAL'));
    expect(bytes[18]).toBe(2);
    const dir = mkdtempSync(join(scratch, 'wal-'));
    const localPath = join(dir, 'rpmdb.sqlite');
    writeFileSync(localPath, bytes);
    const result = await rpmExtractor.extract({
      path: 'var/lib/rpm/rpmdb.sqlite',
      size: bytes.length,
      mode: 0o644,
      localPath: async () => localPath,
      read: () => Promise.reject(new Error('unused')),
      fs: {
        stat: async () => undefined,
        readFile: async () => undefined,
        localPath: async () => undefined,
        list: async () => [],
      },
    });
    expect(result).toMatchObject({ packages: [{ name: 'bash' }], warnings: [] });
    expect(readdirSync(dir)).toEqual(['rpmdb.sqlite']);
    expect(readFileSync(localPath).equals(bytes)).toBe(true);
  });

  it("replays committed transactions from the image's rpmdb.sqlite-wal, and reads the checkpointed ones without it", async () => {
    const build = mkdtempSync(join(scratch, 'wal-build-'));
    const db = new Database(join(build, 'rpmdb.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    db.prepare('INSERT INTO Packages (blob) VALUES (?)').run(headerBlob(nevra('bash')));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.prepare('INSERT INTO Packages (blob) VALUES (?)').run(headerBlob(nevra('openssl')));
    const withWal = join(scratch, 'with-wal');
    const withoutWal = join(scratch, 'without-wal');
    for (const root of [withWal, withoutWal]) mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
    copyFileSync(join(build, 'rpmdb.sqlite'), join(withWal, 'var/lib/rpm/rpmdb.sqlite'));
    copyFileSync(join(build, 'rpmdb.sqlite-wal'), join(withWal, 'var/lib/rpm/rpmdb.sqlite-wal'));
    copyFileSync(join(build, 'rpmdb.sqlite'), join(withoutWal, 'var/lib/rpm/rpmdb.sqlite'));
    db.close();

    const full = await rpmExtractor.extract(await inputFromFixture(withWal, 'var/lib/rpm/rpmdb.sqlite'));
    expect(full).toMatchObject({ packages: [{ name: 'bash' }, { name: 'openssl' }], warnings: [] });
    const checkpointed = await rpmExtractor.extract(await inputFromFixture(withoutWal, 'var/lib/rpm/rpmdb.sqlite'));
    expect(checkpointed).toMatchObject({ packages: [{ name: 'bash' }], warnings: [] });
    expect(readdirSync(join(withWal, 'var/lib/rpm')).sort()).toEqual(['rpmdb.sqlite', 'rpmdb.sqlite-wal']);
    expect(readdirSync(join(withoutWal, 'var/lib/rpm'))).toEqual(['rpmdb.sqlite']);
  });
});
