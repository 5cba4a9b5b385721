/**
 * Test support for the version schemes: the example/rejection tables every scheme's unit test runs,
 * and the runner for the differential tests against reference tools. Not used at runtime.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import type { Ordering, VersionScheme } from './types.ts';

/**
 * The two tables every scheme's unit test runs (after renovate's per-method `test.each` tables):
 * ordered pairs, checked in both directions, and versions the scheme must reject.
 */
export function orders(scheme: VersionScheme, cases: readonly (readonly [string, string, Ordering])[]): void {
  it.each(cases)(`${scheme.id}: compare(%j, %j) = %i`, (a, b, expected) => {
    expect(scheme.compare(a, b)).toBe(expected);
    expect(scheme.compare(b, a) + expected).toBe(0);
  });
}

export function rejects(scheme: VersionScheme, versions: readonly string[]): void {
  it.each(versions)(`${scheme.id}: rejects %j`, (v) => {
    expect(scheme.isValid(v)).toBe(false);
    expect(() => scheme.compare(v, v)).toThrow(
      expect.objectContaining({
        code: 'VIGIL_VERSION_INVALID',
        context: expect.objectContaining({ scheme: scheme.id }),
      }),
    );
  });
}

/**
 * Runs a reference implementation (dpkg, python3-rpm, python packaging) over many version pairs in
 * one process and returns its ordering per pair, for the differential tests beside each scheme.
 */
export function toolAvailable(command: string, args: readonly string[]): boolean {
  const probe = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 });
  return probe.status === 0;
}

/** feeds "a<TAB>b" lines on stdin; expects one "-1", "0" or "1" per line on stdout */
export function orderWithTool(
  command: string,
  args: readonly string[],
  pairs: readonly (readonly [string, string])[],
): Ordering[] {
  const input = pairs.map(([a, b]) => `${a}\t${b}\n`).join('');
  const out = execFileSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  const lines = out.trim().split('\n');
  if (lines.length !== pairs.length) throw new Error(`${command}: ${lines.length} answers for ${pairs.length} pairs`);
  return lines.map((l) => {
    const n = Number(l);
    if (n !== -1 && n !== 0 && n !== 1) throw new Error(`${command}: unexpected answer ${JSON.stringify(l)}`);
    return n;
  });
}

/** pairs whose answer differs, formatted for a readable assertion failure */
export function disagreements(
  pairs: readonly (readonly [string, string])[],
  ours: readonly Ordering[],
  theirs: readonly Ordering[],
): string[] {
  const out: string[] = [];
  pairs.forEach(([a, b], i) => {
    if (ours[i] !== theirs[i]) out.push(`${a} vs ${b}: vigil ${ours[i]}, reference ${theirs[i]}`);
  });
  return out;
}

/** a differential sample must exercise less, equal and greater, or agreeing proves little */
export function expectEveryOutcome(reference: readonly Ordering[], atLeast = 50): void {
  for (const outcome of [-1, 0, 1] as const) {
    expect(reference.filter((r) => r === outcome).length, `reference answers ${outcome}`).toBeGreaterThanOrEqual(
      atLeast,
    );
  }
}
