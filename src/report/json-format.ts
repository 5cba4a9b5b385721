import { VigilError } from '../core/errors.ts';
import type { Inventory } from '../core/types.ts';
import { inventorySchema } from './inventory-schema.ts';
import type { SbomFormat } from './types.ts';

/**
 * Vigil's own inventory JSON: the Inventory itself, files included, keys in schema order, two-space
 * indent. `vigil scan sbom:FILE` reads it back with parseInventoryJson. The document is the stored
 * inventory, so render options (time, UUID) do not enter it.
 */
export const jsonFormat = {
  id: 'json',
  mediaType: 'application/vnd.vigil.inventory+json;version=1',
  fileExtension: '.json',
  render(inventory: Inventory): string {
    const result = inventorySchema.safeParse(inventory);
    if (!result.success) {
      throw new VigilError('VIGIL_INTERNAL', `inventory does not match its schema: ${describeIssues(result.error)}`);
    }
    return `${JSON.stringify(result.data, null, 2)}\n`;
  },
} as const satisfies SbomFormat;

/** Reads an inventory written by the `json` format. Throws VIGIL_IMAGE_INVALID naming the first problems. */
export function parseInventoryJson(text: string): Inventory {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new VigilError(
      'VIGIL_IMAGE_INVALID',
      `inventory file is not JSON: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  const result = inventorySchema.safeParse(document);
  if (!result.success) {
    throw new VigilError(
      'VIGIL_IMAGE_INVALID',
      `inventory file is not a Vigil inventory: ${describeIssues(result.error)}`,
      {
        issues: result.error.issues
          .slice(0, MAX_ISSUES)
          .map((issue) => ({ path: issue.path.map(String), message: issue.message })),
      },
    );
  }
  return result.data;
}

const MAX_ISSUES = 5;

function describeIssues(error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> }): string {
  const shown = error.issues
    .slice(0, MAX_ISSUES)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`);
  const more = error.issues.length > MAX_ISSUES ? ` (and ${error.issues.length - MAX_ISSUES} more)` : '';
  return `${shown.join('; ')}${more}`;
}
