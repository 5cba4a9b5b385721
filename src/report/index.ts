import { cyclonedxFormat } from './cyclonedx-format.ts';
import { jsonFormat } from './json-format.ts';
import { spdxFormat } from './spdx-format.ts';
import { tableFormat } from './table-format.ts';
import type { SbomFormat, SbomFormatId } from './types.ts';

export { parseInventoryJson } from './json-format.ts';
export type { RenderOptions, SbomFormat, SbomFormatId } from './types.ts';

/** Every SBOM output format, one line each; index.test.ts fails when a *-format.ts file is missing here. */
export const sbomFormats: readonly SbomFormat[] = [tableFormat, jsonFormat, cyclonedxFormat, spdxFormat];

export function findSbomFormat(id: string): SbomFormat | undefined {
  return sbomFormats.find((format) => format.id === id);
}

export function isSbomFormatId(id: string): id is SbomFormatId {
  return findSbomFormat(id) !== undefined;
}
