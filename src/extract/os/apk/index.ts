/**
 * os/apk: installed Alpine (and Wolfi/Chainguard) packages from the apk database
 * `lib/apk/db/installed` (`usr/lib/apk/db/installed` on usr-merged images). Format: apk-tools
 * doc/apk-package(5) / the "installed database" section: one record per package, records separated
 * by a blank line, each line "<letter>:<value>". After osv-scalibr extractor/filesystem/os/apk and
 * syft syft/pkg/cataloger/alpine/parse_apk_db.go.
 */
import { distroQualifier, purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';
import { forEachLine, WarningLog } from '../dpkg/text-lines.ts';

const DB_PATHS = new Set(['lib/apk/db/installed', 'usr/lib/apk/db/installed']);
const MAX_LINE = 1 << 20;
const MAX_FILES_PER_PACKAGE = 1_000_000;

interface ApkRecord {
  name?: string;
  version?: string;
  arch?: string;
  origin?: string;
  license?: string;
  maintainer?: string;
  firstLine: number;
  dir: string;
  files: string[];
}

/** "usr/lib/" → "usr/lib"; by hand because /\/+$/ backtracks quadratically on runs of slashes */
function trimSlashes(path: string): string {
  let start = 0;
  let end = path.length;
  while (start < end && path[start] === '/') start++;
  while (end > start && path[end - 1] === '/') end--;
  return path.slice(start, end);
}

function newRecord(firstLine: number): ApkRecord {
  return { firstLine, dir: '', files: [] };
}

export const apkExtractor = {
  name: 'os/apk',
  version: 1,

  required(path: string): boolean {
    return DB_PATHS.has(path);
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    const warnings = new WarningLog();
    const namespace = input.distro?.id ?? 'alpine';
    const distro = distroQualifier(input.distro);
    const packages: Package[] = [];
    // apk keeps one record per package name; identical repeats (corrupt or hostile files) collapse
    // so output, and memory, stay proportional to distinct packages.
    const seen = new Set<string>();
    let repeats = 0;
    let record: ApkRecord | undefined;

    const finish = (): void => {
      const r = record;
      record = undefined;
      if (!r) return;
      if (!r.name || !r.version) {
        warnings.add(
          `record at line ${r.firstLine}: ${r.name ? `package ${r.name} has no V: (version)` : 'no P: (package name)'}`,
        );
        return;
      }
      const key = `${r.name}\0${r.arch ?? ''}\0${r.version}`;
      if (seen.has(key)) {
        repeats++;
        return;
      }
      seen.add(key);
      packages.push({
        type: 'apk',
        name: r.name,
        version: r.version,
        ...(r.arch ? { arch: r.arch } : {}),
        // o: names the APKBUILD the package was built from; without it that is the package itself.
        sourceName: r.origin || r.name,
        sourceVersion: r.version,
        // L: is an SPDX expression on current Alpine ("MIT AND BSD-2-Clause"), a free-form list on
        // old releases ("MIT BSD GPL2+"); kept whole rather than split on spaces.
        ...(r.license ? { licenses: [r.license] } : {}),
        ...(r.maintainer ? { maintainer: r.maintainer } : {}),
        purl: purl('apk', namespace, r.name, r.version, { arch: r.arch, distro }),
        locations: [input.path],
        ...(r.files.length > 0 ? { files: r.files } : {}),
      });
    };

    const onLine = (line: string, lineNumber: number): void => {
      if (line.trim() === '') {
        finish();
        return;
      }
      record ??= newRecord(lineNumber);
      if (line.length < 2 || line[1] !== ':') {
        warnings.add(`line ${lineNumber}: not a "<letter>:<value>" line`);
        return;
      }
      const value = line.slice(2);
      switch (line[0]) {
        case 'P':
          if (record.name !== undefined) {
            // a missing blank line: the previous record ends here
            finish();
            record = newRecord(lineNumber);
          }
          record.name = value.trim();
          break;
        case 'V':
          record.version = value.trim();
          break;
        case 'A':
          record.arch = value.trim();
          break;
        case 'o':
          record.origin = value.trim();
          break;
        case 'L':
          record.license = value.trim();
          break;
        case 'm':
          record.maintainer = value.trim();
          break;
        case 'F':
          record.dir = trimSlashes(value);
          break;
        case 'R': {
          const file = value.replace(/^\/+/, '');
          if (file === '') break;
          if (record.files.length >= MAX_FILES_PER_PACKAGE) break;
          record.files.push(record.dir === '' ? file : `${record.dir}/${file}`);
          break;
        }
        default:
          // C checksum, S/I sizes, T description, U url, t build time, c commit, D/p/i/r
          // dependencies, M/a/Z file attributes and checksums, k priority, q/s/f/...: not needed.
          break;
      }
    };

    try {
      await forEachLine(await input.localPath(), onLine, {
        maxLineLength: MAX_LINE,
        onOverlong: (lineNumber) => warnings.add(`line ${lineNumber}: longer than ${MAX_LINE} bytes, skipped`),
      });
    } catch (err) {
      warnings.add(`cannot read ${input.path}: ${(err as Error).message}`);
    }
    finish();
    if (repeats > 0) warnings.add(`${repeats} repeated package records ignored`);
    return { packages, warnings: warnings.toArray() };
  },
} satisfies Extractor;
