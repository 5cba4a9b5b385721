import type { Readable } from 'node:stream';
import type { EpssEntry, KevEntry, NvdCvss, OsvRecord } from '../core/osv.ts';

/**
 * What a vulnerability source yields, one item at a time (never a whole dataset in memory).
 * Native feeds (Debian security tracker, Alpine secdb) are turned into OSV-shaped records so the
 * matcher has one format to evaluate; their ids keep the feed's own naming and their aliases carry
 * the CVE so that de-duplication by alias folds them with OSV's own records.
 */
export type SourceItem =
  | {
      readonly kind: 'osv';
      readonly record: OsvRecord;
      /** the same record already reduced to what the store writes; the store then never reads `record` */
      readonly row?: OsvRow;
    }
  | { readonly kind: 'kev'; readonly entry: KevEntry }
  | { readonly kind: 'epss'; readonly entry: EpssEntry }
  | { readonly kind: 'nvd'; readonly cvss: NvdCvss }
  /** an entry that could not be used: counted and reported, the rest of the source still lands */
  | { readonly kind: 'skipped'; readonly where: string; readonly reason: string };

/**
 * An OSV record as the store writes it: the fields it indexes and the record's JSON text. A source
 * that parses records on a worker thread (osv.dev zips) sends these, because a row crosses threads
 * for a fraction of what the parsed record costs and its JSON text is already made.
 */
export interface OsvRow {
  readonly id: string;
  readonly modified: string;
  readonly withdrawn: boolean;
  readonly aliases: readonly string[];
  /**
   * What the index holds: base ecosystem and normalized name of each `affected[].package`, flat
   * (base, name, base, name, ...), each package once; empty for a withdrawn record
   */
  readonly packages: readonly string[];
  /** the full ecosystem strings of `affected[].package` ("Debian:12"), each once; empty when withdrawn */
  readonly ecosystems: readonly string[];
  /**
   * For a record that names one package (see store-schema.ts), the matcher's form of it as JSON
   * (advisory-form.ts): its head, and its affected entries, each with its index; else empty.
   */
  readonly head: string;
  readonly entries: string;
  /**
   * The whole record, minified: its text, or (when the caller asked for `itemsUsedAtOnce`) its
   * UTF-8 bytes in a buffer the source reuses once the next item is taken.
   */
  readonly json: string | Buffer;
}

/** How sources reach their data: https:// or file:// (a mirror directory), injected so tests pin it. */
export interface Transport {
  /** the body as a stream; throws VigilError (VIGIL_SOURCE_*) for a missing file or a failed request */
  open(url: string, signal?: AbortSignal): Promise<Readable>;
  /** the body into a local file (for formats that need random access, such as zip) */
  download(url: string, destination: string, signal?: AbortSignal): Promise<void>;
}

export interface FetchOptions {
  readonly transport: Transport;
  /** a scratch directory the source may use; removed by the caller */
  readonly tmpDir: string;
  readonly signal?: AbortSignal;
  /**
   * The caller is done with each item before it takes the next (the store is): a source may then
   * hand out row JSON as bytes it reuses afterwards, which spares a string per record on the thread
   * that writes; the item's `record` throws when read later.
   */
  readonly itemsUsedAtOnce?: boolean;
}

/** One per feed (OSV ecosystem zip, Debian tracker, Alpine secdb, KEV, EPSS, NVD). */
export interface VulnSource {
  /** stable id used in `db status`: "osv:npm", "debian-tracker", "alpine-secdb", "kev", "epss", "nvd" */
  readonly name: string;
  /**
   * Everything the source currently publishes. Throws (VigilError) when the source fails or arrives
   * only partly: the store then keeps this source's previous data whole and marks it stale.
   */
  fetch(options: FetchOptions): AsyncIterable<SourceItem>;
}
