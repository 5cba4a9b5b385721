/**
 * The library behind the CLI (`import { inventoryImage } from 'vigil'`). The CLI and, later, the
 * service call these same functions; version ordering is its own entry point, `vigil/versioning`.
 */

export type { ErrorCode } from './core/errors.ts';
export { ExitCode, errorCatalog, exitCodeFor, isVigilError, VigilError } from './core/errors.ts';
export type {
  Distro,
  Finding,
  ImageRef,
  Inventory,
  Package,
  Platform,
  ResolvedImage,
  Severity,
  Warning,
} from './core/types.ts';
export { extractors } from './extract/registry.ts';
export type { ExtractInput, Extractor, ExtractResult } from './extract/types.ts';
export type { ImageSource, SourceOptions } from './image/index.ts';
export { openImage, parseImageRef, parsePlatform } from './image/index.ts';
export type { SbomFormat, SbomFormatId } from './report/index.ts';
export { findSbomFormat, parseInventoryJson, sbomFormats } from './report/index.ts';
export type { InventoryImageOptions, InventoryResult, ProgressEvent } from './scan/index.ts';
export { buildInventory, inventoryImage } from './scan/index.ts';
