/** The vulnerability database: sources, the update that builds the SQLite file, and its reader. */
export { importSources, nativeFeedNames, resolveFeeds, selectSources, toUrl } from './sources/index.ts';
export { OSV_BUCKET_URL, osvEcosystems, osvSource, osvZipSource } from './sources/osv/index.ts';
export { DEFAULT_STALE_AFTER_MS, parseDuration, staleSources } from './status.ts';
export { openVulnDb } from './store-reader.ts';
export { createTransport, defaultTransportPolicy } from './transport.ts';
export type { FetchOptions, SourceItem, Transport, VulnSource } from './types.ts';
export { type SourceUpdateResult, type UpdateProgress, type UpdateResult, updateDatabase } from './update.ts';
