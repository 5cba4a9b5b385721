import { VigilError } from '../../../core/errors.ts';
import type { FetchOptions, SourceItem, VulnSource } from '../../types.ts';
import { mergeRecordsById } from '../debian-tracker/merge-records.ts';
import { MAX_SECDB_CHARS, parseSecdb } from './parser.ts';

export const SECDB_URL = 'https://secdb.alpinelinux.org';

/**
 * Branches with security support on 2026-12-01 (https://alpinelinux.org/releases/: each stable branch
 * is supported for two years) plus edge. Older images need older branches: list them in `branches`.
 */
export const DEFAULT_BRANCHES: readonly string[] = Object.freeze(['v3.22', 'v3.23', 'v3.24', 'edge']);
export const DEFAULT_REPOSITORIES: readonly string[] = Object.freeze(['main', 'community']);

export interface AlpineSecdbSourceOptions {
  /** where `<branch>/<repository>.<format>` files live; a mirror directory laid out alike works the same */
  readonly baseUrl?: string;
  readonly branches?: readonly string[];
  readonly repositories?: readonly string[];
  /** exact (branch, repository) files to read, for a mirror where branches hold different repositories */
  readonly files?: ReadonlyArray<{ readonly branch: string; readonly repository: string }>;
  /** file extension to ask for: secdb.alpinelinux.org serves both */
  readonly format?: 'json' | 'yaml';
  /** stamps `modified` on the records; injected so tests pin it */
  readonly now?: () => Date;
}

/** Alpine's secdb as OSV records, one per CVE across branches (see parser.ts for the record shape). */
export function alpineSecdbSource(options: AlpineSecdbSourceOptions = {}): VulnSource {
  const baseUrl = (options.baseUrl ?? SECDB_URL).replace(/\/+$/, '');
  const branches = options.branches ?? DEFAULT_BRANCHES;
  const repositories = options.repositories ?? DEFAULT_REPOSITORIES;
  const format = options.format ?? 'json';
  const now = options.now ?? (() => new Date());
  return {
    name: 'alpine-secdb',
    fetch({ transport, tmpDir, signal }: FetchOptions): AsyncIterable<SourceItem> {
      const modified = now().toISOString();
      const pairs =
        options.files ?? branches.flatMap((branch) => repositories.map((repository) => ({ branch, repository })));
      async function* files(): AsyncGenerator<SourceItem> {
        for (const { branch, repository } of pairs) {
          const url = `${baseUrl}/${branch}/${repository}.${format}`;
          const text = await readBounded(await transport.open(url, signal), url);
          yield* parseSecdb(text, { branch, repository, modified });
        }
      }
      return mergeRecordsById(files(), { tmpDir });
    },
  } satisfies VulnSource;
}

/** The body as text, refusing more than MAX_SECDB_CHARS bytes. */
async function readBounded(body: AsyncIterable<Uint8Array | string> & { destroy(): void }, url: string) {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
      size += bytes.length;
      if (size > MAX_SECDB_CHARS) {
        throw new VigilError('VIGIL_SOURCE_INVALID', `${url} is larger than ${MAX_SECDB_CHARS} bytes`, { url });
      }
      chunks.push(bytes);
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}
