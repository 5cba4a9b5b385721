import { VigilError } from '../core/errors.ts';
import type { VulnDbStatus } from '../core/osv.ts';

/** Data older than this is called stale by default (Trivy's DB is rebuilt every 6 hours; 3 days leaves room). */
export const DEFAULT_STALE_AFTER_MS = 3 * 24 * 60 * 60 * 1000;

export interface StaleSource {
  readonly name: string;
  readonly reason: string;
}

/**
 * The sources whose data cannot be trusted as current: the last update failed or arrived partly
 * (marked stale by the store), the source never landed, or it landed longer ago than `maxAgeMs`.
 */
export function staleSources(status: VulnDbStatus, now: Date, maxAgeMs: number): StaleSource[] {
  const stale: StaleSource[] = [];
  for (const source of status.sources) {
    if (source.stale) {
      stale.push({ name: source.name, reason: `last update failed: ${source.lastError ?? 'unknown error'}` });
    } else if (source.updatedAt === undefined) {
      stale.push({ name: source.name, reason: 'never updated' });
    } else {
      const age = now.getTime() - Date.parse(source.updatedAt);
      if (age > maxAgeMs) stale.push({ name: source.name, reason: `updated ${formatAge(age)} ago` });
    }
  }
  return stale;
}

const UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** "3d", "12h", "90m", "2w", "30s" in milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/.exec(text);
  if (match === null) {
    throw new VigilError('VIGIL_USAGE', `not a duration: "${text}" (use a number and s, m, h, d or w, such as 3d)`);
  }
  return Number(match[1]) * UNITS[match[2] as keyof typeof UNITS];
}

export function formatAge(ms: number): string {
  if (ms >= UNITS.d * 2) return `${Math.floor(ms / UNITS.d)} days`;
  if (ms >= UNITS.h * 2) return `${Math.floor(ms / UNITS.h)} hours`;
  if (ms >= UNITS.m * 2) return `${Math.floor(ms / UNITS.m)} minutes`;
  return `${Math.max(0, Math.floor(ms / UNITS.s))} seconds`;
}
