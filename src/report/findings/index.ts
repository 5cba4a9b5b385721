import { cyclonedxFormat } from './cyclonedx-format.ts';
import { jsonFormat } from './json-format.ts';
import { sarifFormat } from './sarif-format.ts';
import { tableFormat } from './table-format.ts';
import type { FindingsFormat } from './types.ts';

export type { ScanJson } from './json-format.ts';
export type {
  FindingsFormat,
  FindingsFormatId,
  FindingsOrder,
  FindingsRenderOptions,
  ScanDatabase,
  ScanReport,
} from './types.ts';

/** Every `vigil scan --format`, one line each; index.test.ts fails when a *-format.ts file is missing here. */
export const findingsFormats: readonly FindingsFormat[] = [tableFormat, jsonFormat, sarifFormat, cyclonedxFormat];

export function findFindingsFormat(id: string): FindingsFormat | undefined {
  return findingsFormats.find((format) => format.id === id);
}
