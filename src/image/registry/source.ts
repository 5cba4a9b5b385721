import { VigilError } from '../../core/errors.ts';
import type { ImageRef, LayerRef, ResolvedImage } from '../../core/types.ts';
import { layerEntriesFromBlob } from '../layer/index.ts';
import type { EntryReadOptions, ImageSource, LayerEntry, SourceOptions } from '../types.ts';
import { RegistryClient, type RegistryClientOptions } from './client.ts';
import { resolveRegistryImage } from './resolve.ts';

/** Extra knobs beyond SourceOptions, for tests and embedders. */
export type RegistrySourceOptions = SourceOptions & Omit<RegistryClientOptions, keyof SourceOptions>;

/** An image in an OCI/Docker registry. */
export class RegistrySource implements ImageSource {
  readonly ref: ImageRef;
  readonly client: RegistryClient;
  readonly #options: RegistrySourceOptions;
  #resolved: Promise<ResolvedImage> | undefined;

  constructor(ref: ImageRef, options: RegistrySourceOptions = {}) {
    if (ref.transport !== 'registry' || ref.registry === undefined || ref.repository === undefined) {
      throw new VigilError('VIGIL_USAGE', `${ref.original} is not a registry image reference`, {
        reference: ref.original,
      });
    }
    this.ref = ref;
    this.#options = options;
    this.client = new RegistryClient(ref.registry, options);
  }

  /** Resolved once; a failed resolution is not remembered, so a retry asks the registry again. */
  manifest(signal?: AbortSignal): Promise<ResolvedImage> {
    if (this.#resolved === undefined) {
      const pending = resolveRegistryImage(this.client, this.ref, this.#options.platform, signal);
      this.#resolved = pending;
      pending.catch(() => {
        if (this.#resolved === pending) this.#resolved = undefined;
      });
    }
    return this.#resolved;
  }

  async *layerEntries(layer: LayerRef, options: EntryReadOptions = {}): AsyncIterable<LayerEntry> {
    const blob = await this.client.openBlob(this.ref.repository!, layer.digest, {
      size: layer.size,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    yield* layerEntriesFromBlob(blob, layer, options);
  }

  async close(): Promise<void> {}
}

export function createRegistrySource(ref: ImageRef, options: SourceOptions = {}): ImageSource {
  return new RegistrySource(ref, options);
}
