/**
 * lang/php: Composer packages, after Syft (syft/pkg/cataloger/php) and Trivy
 * (pkg/dependency/parser/php/composer):
 * - `vendor/composer/installed.json`, what is installed: Composer 1 writes an array of packages,
 *   Composer 2 `{"packages": [...], "dev": bool, "dev-package-names": [...]}`;
 * - `composer.lock`, what is locked: `packages` and `packages-dev` (dev, kept and flagged). The
 *   `composer.json` beside it, when present, says which are direct (`require`, `require-dev`).
 * Ecosystem "Packagist", name "vendor/package", purl pkg:composer/vendor/package@version.
 */
import { posix } from 'node:path';
import { purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import { WarningLog } from '../../os/dpkg/text-lines.ts';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';

const INSTALLED = /(?:^|\/)vendor\/composer\/installed\.json$/;
const LOCKFILE = /(?:^|\/)composer\.lock$/;
const MAX_BYTES = 32 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

type Json = unknown;
const isObject = (value: Json): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Composer's "license" is an SPDX id, an array of them, or a string such as
 * "(MIT or GPL-3.0-or-later)" meaning a choice (getcomposer.org/doc/04-schema.md#license);
 * as Trivy, a disjunction is split into its members.
 */
function licensesOf(license: Json): string[] {
  const values = typeof license === 'string' ? [license] : Array.isArray(license) ? license : [];
  return (
    values
      .filter((value): value is string => typeof value === 'string')
      // whitespace collapsed first: /\s+or\s+/ backtracks quadratically on a long run of blanks
      .flatMap((value) =>
        value
          .replace(/\s+/g, ' ')
          .replace(/^ ?\((.*)\) ?$/, '$1')
          .split(/ or /i),
      )
      .map((value) => value.trim())
      .filter((value) => value !== '')
  );
}

interface Flags {
  readonly dev?: boolean;
  readonly direct?: boolean;
}

function composerPackage(entry: Record<string, Json>, location: string, flags: Flags): Package {
  const name = entry.name as string;
  const version = entry.version as string;
  const slash = name.indexOf('/');
  const licenses = licensesOf(entry.license);
  return {
    type: 'composer',
    ecosystem: 'Packagist',
    name,
    version,
    ...(licenses.length > 0 ? { licenses } : {}),
    ...flags,
    purl:
      slash > 0 && slash < name.length - 1
        ? purl('composer', name.slice(0, slash), name.slice(slash + 1), version)
        : purl('composer', undefined, name, version),
    locations: [location],
  };
}

/** Turns a list of package objects into packages; entries without a name and version are reported. */
function packagesFrom(
  list: Json[],
  what: string,
  input: ExtractInput,
  flagsOf: (name: string) => Flags,
  warnings: WarningLog,
): Package[] {
  const packages: Package[] = [];
  list.forEach((entry, index) => {
    if (
      !isObject(entry) ||
      typeof entry.name !== 'string' ||
      entry.name === '' ||
      typeof entry.version !== 'string' ||
      entry.version === ''
    ) {
      warnings.add(`${input.path}: ${what}[${index}] has no name and version; skipped`);
      return;
    }
    packages.push(composerPackage(entry, input.path, flagsOf(entry.name)));
  });
  return packages;
}

function fromInstalled(input: ExtractInput, document: Json): ExtractResult {
  const warnings = new WarningLog();
  if (Array.isArray(document)) {
    const packages = packagesFrom(document, 'packages', input, () => ({}), warnings);
    return { packages, warnings: warnings.toArray() };
  }
  if (!isObject(document) || !Array.isArray(document.packages)) {
    return {
      packages: [],
      warnings: [`${input.path}: neither a package array (Composer 1) nor {"packages": [...]} (Composer 2)`],
    };
  }
  const devNames = Array.isArray(document['dev-package-names']) ? new Set(document['dev-package-names']) : undefined;
  const flagsOf = (name: string): Flags => (devNames ? { dev: devNames.has(name) } : {});
  const packages = packagesFrom(document.packages, 'packages', input, flagsOf, warnings);
  return { packages, warnings: warnings.toArray() };
}

/** `require`/`require-dev` names of the composer.json beside the lockfile, when captured and readable */
async function directNames(input: ExtractInput): Promise<Set<string> | undefined> {
  const manifest = posix.join(posix.dirname(input.path), 'composer.json');
  try {
    const content = await input.fs.readFile(manifest, MAX_MANIFEST_BYTES);
    if (!content) return undefined;
    const json: Json = JSON.parse(content.toString('utf8'));
    if (!isObject(json)) return undefined;
    const names = [json.require, json['require-dev']].flatMap((section) =>
      isObject(section) ? Object.keys(section) : [],
    );
    return new Set(names.map((name) => name.toLowerCase()));
  } catch {
    // a broken composer.json only costs the direct flags; the lockfile is still read
    return undefined;
  }
}

async function fromLockfile(input: ExtractInput, document: Json): Promise<ExtractResult> {
  if (!isObject(document) || (!Array.isArray(document.packages) && !Array.isArray(document['packages-dev']))) {
    return { packages: [], warnings: [`${input.path}: no "packages" or "packages-dev" array; not a composer.lock`] };
  }
  const warnings = new WarningLog();
  const direct = await directNames(input);
  const flags =
    (dev: boolean) =>
    (name: string): Flags => ({
      dev,
      ...(direct ? { direct: direct.has(name.toLowerCase()) } : {}),
    });
  const list = (key: string): Json[] => (Array.isArray(document[key]) ? document[key] : []);
  return {
    packages: [
      ...packagesFrom(list('packages'), 'packages', input, flags(false), warnings),
      ...packagesFrom(list('packages-dev'), 'packages-dev', input, flags(true), warnings),
    ],
    warnings: warnings.toArray(),
  };
}

export const phpExtractor = {
  name: 'lang/php',
  version: 1,

  required(path: string): boolean {
    return INSTALLED.test(path) || LOCKFILE.test(path);
  },

  /** the application's composer.json beside a lockfile; those inside vendor/ belong to packages */
  wants(path: string): boolean {
    return path.endsWith('composer.json') && posix.basename(path) === 'composer.json' && !/(?:^|\/)vendor\//.test(path);
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    let document: Json;
    try {
      document = JSON.parse((await input.read(MAX_BYTES)).toString('utf8'));
    } catch (err) {
      return { packages: [], warnings: [`${input.path}: cannot be read as JSON: ${(err as Error).message}`] };
    }
    return INSTALLED.test(input.path) ? fromInstalled(input, document) : fromLockfile(input, document);
  },
} satisfies Extractor;
