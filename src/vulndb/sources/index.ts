import { existsSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VigilError } from '../../core/errors.ts';
import type { VulnSource } from '../types.ts';
import { alpineSecdbSource } from './alpine-secdb/index.ts';
import { debianTrackerSource } from './debian-tracker/index.ts';
import { epssSource } from './epss/index.ts';
import { kevSource } from './kev/index.ts';
import { nvdSource } from './nvd/index.ts';
import {
  defaultOsvEcosystems,
  OSV_BUCKET_URL,
  osvEcosystems,
  osvSource,
  osvZipSource,
  resolveOsvEcosystems,
} from './osv/index.ts';

/**
 * The one list of vulnerability feeds besides OSV (one folder each under sources/), each built
 * from an optional URL of its data or of a mirror of it. A test asserts it equals the folders.
 */
export const nativeFeeds = {
  'debian-tracker': (url?: string) => debianTrackerSource(url === undefined ? {} : { url }),
  'alpine-secdb': (url?: string) => (url === undefined ? alpineSecdbSource({}) : alpineMirror(url)),
  kev: (url?: string) => kevSource(url === undefined ? {} : { url }),
  epss: (url?: string) => epssSource(url === undefined ? {} : { url }),
  // one feed file (`…/nvdcve-2.0-2024.json.gz`, an API page) or the base the yearly files live under
  nvd: (url?: string) =>
    nvdSource(url === undefined ? {} : /\.json(\.gz)?$/.test(url) ? { urls: [url] } : { baseUrl: url }),
} as const satisfies Record<string, (url?: string) => VulnSource>;

/**
 * Alpine secdb from a URL: over https the default branches as JSON; from a file:// mirror the
 * branches (`v3.NN`, `edge`) and the format (.json or .yaml) that the directory actually holds, so
 * a mirror of older branches works without naming them.
 */
function alpineMirror(url: string): VulnSource {
  if (!url.startsWith('file://')) return alpineSecdbSource({ baseUrl: url });
  return {
    name: 'alpine-secdb',
    async *fetch(options) {
      const dir = fileURLToPath(url);
      const branches = (await readdir(dir).catch(() => [])).filter((entry) => /^(v\d+\.\d+|edge)$/.test(entry)).sort();
      const files: Array<{ branch: string; repository: string }> = [];
      let format: 'json' | 'yaml' = 'yaml';
      for (const branch of branches) {
        const held = await readdir(join(dir, branch)).catch(() => [] as string[]);
        if (held.some((file) => file.endsWith('.json'))) format = 'json';
        for (const repository of ['main', 'community']) {
          if (held.includes(`${repository}.json`) || held.includes(`${repository}.yaml`))
            files.push({ branch, repository });
        }
      }
      // nothing recognisable: read the default branches, which fails with the missing file's name
      yield* alpineSecdbSource({ baseUrl: url, ...(files.length > 0 ? { files, format } : {}) }).fetch(options);
    },
  };
}

export type NativeFeed = keyof typeof nativeFeeds;
export const nativeFeedNames = Object.keys(nativeFeeds) as NativeFeed[];

export interface SourceSelection {
  /** the OSV bucket or a mirror of its layout; osv.dev's bucket when absent */
  readonly osvBaseUrl?: string;
  /** OSV ecosystems; when absent, the defaults for a bucket URL and every one a file:// mirror holds */
  readonly ecosystems?: readonly string[];
  /** native feeds to read, each at its own URL or its default one */
  readonly feeds?: readonly NativeFeed[];
  readonly feedUrls?: Readonly<Partial<Record<NativeFeed, string>>>;
  /** skip OSV entirely */
  readonly withoutOsv?: boolean;
}

export function selectSources(selection: SourceSelection): VulnSource[] {
  const sources: VulnSource[] = [];
  if (selection.withoutOsv !== true) {
    const base = selection.osvBaseUrl ?? OSV_BUCKET_URL;
    const ecosystems =
      selection.ecosystems !== undefined ? resolveOsvEcosystems(selection.ecosystems) : defaultEcosystems(base);
    for (const ecosystem of ecosystems) sources.push(osvSource(ecosystem, base));
  }
  for (const feed of selection.feeds ?? []) sources.push(nativeFeeds[feed](selection.feedUrls?.[feed]));
  return sources;
}

/** Checks `--feeds` names. */
export function resolveFeeds(names: readonly string[]): NativeFeed[] {
  return names.map((name) => {
    const feed = nativeFeedNames.find((known) => known === name.trim().toLowerCase());
    if (feed === undefined) {
      throw new VigilError('VIGIL_USAGE', `unknown feed "${name}" (known: ${nativeFeedNames.join(', ')})`);
    }
    return feed;
  });
}

/**
 * What `vigil db import PATH-or-URL` reads: a single `all.zip` (named after its ecosystem folder
 * when it sits in one, as in the bucket layout), or a mirror directory / base URL.
 */
export function importSources(target: string, ecosystems?: readonly string[]): VulnSource[] {
  const url = toUrl(target);
  if (url.endsWith('.zip')) {
    const path = url.startsWith('file:') ? fileURLToPath(url) : new URL(url).pathname;
    const folder = decodeURIComponent(basename(dirname(path)));
    const ecosystem = osvEcosystems.find((known) => known === folder);
    return [osvZipSource(ecosystem !== undefined ? `osv:${ecosystem}` : `osv:import:${basename(path)}`, url)];
  }
  return selectSources({ osvBaseUrl: url, ...(ecosystems !== undefined ? { ecosystems } : {}) });
}

/** A path or URL as a URL: `./mirror` → `file:///abs/mirror`. */
export function toUrl(target: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return target;
  return pathToFileURL(resolve(target)).href;
}

/** The default set for a bucket URL; for a local mirror, the ecosystems it has an `all.zip` for. */
function defaultEcosystems(base: string): readonly string[] {
  if (!base.startsWith('file:')) return defaultOsvEcosystems;
  const dir = fileURLToPath(base);
  if (!existsSync(dir))
    throw new VigilError('VIGIL_SOURCE_UNREACHABLE', `mirror ${base} does not exist`, { url: base });
  const present = readdirSync(dir).filter((name) => existsSync(join(dir, name, 'all.zip')));
  const known = osvEcosystems.filter((ecosystem) => present.includes(ecosystem));
  if (known.length === 0) {
    throw new VigilError('VIGIL_SOURCE_UNREACHABLE', `mirror ${base} has no <Ecosystem>/all.zip`, { url: base });
  }
  return known;
}
