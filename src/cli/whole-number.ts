import { VigilError } from '../core/errors.ts';

/** A count option's value (`--workers 2`), from `min` to `max`; anything else is a usage error. */
export function wholeNumber(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new VigilError('VIGIL_USAGE', `${flag} must be a whole number ${range}, not "${text}"`);
  }
  return value;
}
