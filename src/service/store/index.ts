export { checkConfig, type RegistryReference, registryOfReference, toEcrConfig } from './config-store.ts';
export { type OpenStoreOptions, openStore } from './open-store.ts';
export { indexKey, packageIndexKeys } from './package-index.ts';
export { scanWindowCutoff } from './report-store.ts';
export { eventTypes } from './schema.ts';
export type * from './types.ts';
