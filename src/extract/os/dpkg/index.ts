/**
 * os/dpkg: installed Debian packages from `var/lib/dpkg/status` and, in distroless images, from the
 * one-paragraph-per-package files under `var/lib/dpkg/status.d/` (after osv-scalibr
 * extractor/filesystem/os/dpkg and trivy pkg/fanal/analyzer/pkg/dpkg).
 */
import { distroQualifier, purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';
import { isDebVersion, packageIsPresent, parseSourceField } from './fields.ts';
import { FileListIndex, INFO_DIR, STATUS_DIR } from './file-lists.ts';
import { forEachStanza, type Stanza } from './stanzas.ts';
import { WarningLog } from './text-lines.ts';

const STATUS_FILE = 'var/lib/dpkg/status';
const FIELDS = new Set(['package', 'version', 'architecture', 'source', 'maintainer', 'status']);

/** Companions distroless keeps beside the package paragraphs in status.d; they are not paragraphs. */
const STATUS_DIR_COMPANIONS = [
  '.md5sums',
  '.preinst',
  '.postinst',
  '.prerm',
  '.postrm',
  '.conffiles',
  '.list',
  '.triggers',
  '.shlibs',
  '.symbols',
  '.templates',
  '.config',
];

function directChild(path: string, dir: string): string | undefined {
  if (!path.startsWith(`${dir}/`)) return undefined;
  const name = path.slice(dir.length + 1);
  return name === '' || name.includes('/') ? undefined : name;
}

function isStatusDirParagraphFile(path: string): boolean {
  const name = directChild(path, STATUS_DIR);
  return name !== undefined && !name.startsWith('.') && !STATUS_DIR_COMPANIONS.some((ext) => name.endsWith(ext));
}

interface Candidate {
  readonly name: string;
  readonly version: string;
  readonly arch?: string;
  readonly sourceName: string;
  readonly sourceVersion: string;
  readonly maintainer?: string;
}

/** Applies the installed-state and validity rules to one paragraph; undefined means "skip". */
function candidateOf(
  stanza: Stanza,
  line: number,
  fromStatusDir: boolean,
  warnings: WarningLog,
): Candidate | undefined {
  const name = stanza.get('package') ?? '';
  if (name === '') {
    warnings.add(`paragraph at line ${line}: no Package field`);
    return undefined;
  }
  const status = stanza.get('status');
  if (status === undefined) {
    // Distroless status.d paragraphs carry no Status: being there means installed.
    if (!fromStatusDir) {
      warnings.add(`package ${name}: no Status field`);
      return undefined;
    }
  } else {
    const present = packageIsPresent(status);
    if (present === undefined) {
      warnings.add(`package ${name}: Status "${status}" is not "want flag state"`);
      return undefined;
    }
    if (!present) return undefined;
  }
  const version = stanza.get('version') ?? '';
  if (version === '') {
    warnings.add(`package ${name}: no Version field`);
    return undefined;
  }
  if (!isDebVersion(version)) {
    warnings.add(`package ${name}: Version "${version}" is not a Debian version`);
    return undefined;
  }
  const sourceValue = stanza.get('source');
  let sourceName = name;
  let sourceVersion = version;
  if (sourceValue !== undefined && sourceValue !== '') {
    const source = parseSourceField(sourceValue);
    if (source) {
      sourceName = source.name;
      sourceVersion = source.version ?? version;
    } else {
      warnings.add(`package ${name}: Source "${sourceValue}" is malformed; using the package name`);
    }
  }
  // Without Source the source package has the binary's name and version (dpkg-query's
  // ${source:Package} / ${source:Version}, lib/dpkg/pkg-format.c).
  const arch = stanza.get('architecture') || undefined;
  const maintainer = stanza.get('maintainer') || undefined;
  return {
    name,
    version,
    sourceName,
    sourceVersion,
    ...(arch ? { arch } : {}),
    ...(maintainer ? { maintainer } : {}),
  };
}

export const dpkgExtractor = {
  name: 'os/dpkg',
  version: 1,

  required(path: string): boolean {
    return path === STATUS_FILE || isStatusDirParagraphFile(path);
  },

  wants(path: string): boolean {
    const info = directChild(path, INFO_DIR);
    if (info !== undefined) return info.endsWith('.list');
    const status = directChild(path, STATUS_DIR);
    return status?.endsWith('.md5sums') === true;
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    const warnings = new WarningLog();
    const fromStatusDir = input.path !== STATUS_FILE;
    const candidates: Candidate[] = [];
    // A package appears once per name and architecture; a repeated identical paragraph (corrupt or
    // hostile files) is collapsed so output, and memory, stay proportional to distinct packages.
    const seen = new Set<string>();
    let repeats = 0;
    try {
      await forEachStanza(
        await input.localPath(),
        (stanza, line) => {
          const candidate = candidateOf(stanza, line, fromStatusDir, warnings);
          if (!candidate) return;
          const key = `${candidate.name}\0${candidate.arch ?? ''}\0${candidate.version}`;
          if (seen.has(key)) {
            repeats++;
            return;
          }
          seen.add(key);
          candidates.push(candidate);
        },
        { fields: FIELDS, warnings },
      );
    } catch (err) {
      warnings.add(`cannot read ${input.path}: ${(err as Error).message}`);
    }
    if (repeats > 0) warnings.add(`${repeats} repeated package paragraphs ignored`);

    const namespace = input.distro?.id ?? 'debian';
    const distro = distroQualifier(input.distro);
    const fileLists = new FileListIndex(input.fs);
    const statusFileName = input.path.slice(input.path.lastIndexOf('/') + 1);
    const packages: Package[] = [];
    for (const c of candidates) {
      const files = fromStatusDir
        ? await fileLists.fromStatusDir(c.name, statusFileName)
        : await fileLists.fromInfo(c.name, c.arch);
      packages.push({
        type: 'deb',
        name: c.name,
        version: c.version,
        ...(c.arch ? { arch: c.arch } : {}),
        sourceName: c.sourceName,
        sourceVersion: c.sourceVersion,
        ...(c.maintainer ? { maintainer: c.maintainer } : {}),
        purl: purl('deb', namespace, c.name, c.version, { arch: c.arch, distro }),
        locations: [input.path],
        ...(files ? { files } : {}),
      });
    }
    return { packages, warnings: warnings.toArray() };
  },
} satisfies Extractor;
