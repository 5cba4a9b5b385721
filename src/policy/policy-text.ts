import { VigilError } from '../core/errors.ts';

/** Ignore files and VEX documents are small; anything larger is refused before parsing. */
export const MAX_POLICY_BYTES = 8 * 1024 * 1024;

export function checkPolicySize(text: string, file: string): void {
  // string length counts UTF-16 units, a lower bound for UTF-8 bytes: cheap and never under-counts ASCII
  if (text.length > MAX_POLICY_BYTES) {
    throw new VigilError('VIGIL_POLICY_INVALID', `${file}: larger than ${MAX_POLICY_BYTES} bytes`, {
      file,
      size: text.length,
    });
  }
}

export function policyError(file: string, where: string, message: string, cause?: unknown): VigilError {
  return new VigilError(
    'VIGIL_POLICY_INVALID',
    `${file}${where === '' ? '' : `:${where}`}: ${message}`,
    { file, where },
    cause === undefined ? undefined : { cause },
  );
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * An expiry or statement date: "YYYY-MM-DD" (midnight UTC, as Trivy reads `expired_at` and
 * `exp:`) or an RFC 3339 date-time. Undefined when it is neither, or names no real day.
 */
export function parsePolicyDate(text: string): Date | undefined {
  const dateOnly = DATE_ONLY.exec(text);
  if (dateOnly) {
    const [year, month, day] = [Number(dateOnly[1]), Number(dateOnly[2]), Number(dateOnly[3])];
    const date = new Date(Date.UTC(year, month - 1, day));
    const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
    return real ? date : undefined;
  }
  if (!DATE_TIME.test(text)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
