/**
 * Hands out identifiers that must be unique within one document (CycloneDX bom-ref, SPDXID,
 * LicenseRef). The first claim of a base keeps it; later claims get "-2", "-3", ... in claim order,
 * so the result depends only on the inventory's order.
 */
export class UniqueIds {
  readonly #taken = new Set<string>();

  claim(base: string, separator = '-'): string {
    let id = base;
    for (let n = 2; this.#taken.has(id); n++) id = `${base}${separator}${n}`;
    this.#taken.add(id);
    return id;
  }
}

/** ISO 8601 in UTC to the second: SPDX 2.3 §6.9 wants "YYYY-MM-DDThh:mm:ssZ"; CycloneDX accepts it too. */
export function documentTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
