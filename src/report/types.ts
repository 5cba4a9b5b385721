import type { Inventory } from '../core/types.ts';

/** What the caller pins so that a rendering is reproducible (golden files, re-renders of a stored inventory). */
export interface RenderOptions {
  /** document creation time (CycloneDX metadata.timestamp, SPDX creationInfo.created) */
  readonly now: Date;
  /** source of the document UUID (CycloneDX serialNumber, SPDX documentNamespace) */
  readonly uuid: () => string;
  /** Vigil's version, named as the creating tool */
  readonly toolVersion: string;
  /** ANSI colours in human formats; plain text when unset */
  readonly color?: boolean;
  /** terminal columns; human formats truncate cells to fit */
  readonly width?: number;
  /** list each package's files in SBOM formats (large); the `json` format always keeps them */
  readonly includeFiles?: boolean;
}

export type SbomFormatId = 'cyclonedx' | 'spdx' | 'json' | 'table';

/** One SBOM output format: a file exporting one object that `satisfies SbomFormat`, listed in index.ts. */
export interface SbomFormat {
  readonly id: SbomFormatId;
  /** e.g. application/vnd.cyclonedx+json;version=1.6 */
  readonly mediaType: string;
  /** e.g. ".cdx.json" */
  readonly fileExtension: string;
  render(inventory: Inventory, options: RenderOptions): string;
}
