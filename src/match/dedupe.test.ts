/** De-duplication by alias closure, on osv.dev's own alias and cycle test records (testdata/osv-examples). */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OsvRecord } from '../core/osv.ts';
import { groupByAlias } from './dedupe.ts';
import { findingId } from './finding.ts';
import { readRecords } from './testing.ts';

const examples = new Map(readRecords(join(import.meta.dirname, 'testdata/osv-examples')).map((r) => [r.id, r]));

function records(ids: readonly string[]): OsvRecord[] {
  return ids.map((id) => {
    const r = examples.get(id);
    if (r === undefined) throw new Error(`no example ${id}`);
    return r;
  });
}

/** groups as sorted lists of member ids, sorted: comparable whatever the input order */
function partition(input: readonly OsvRecord[]): string[][] {
  return groupByAlias(input, (r) => r)
    .map((g) => g.members.map((m) => m.id).sort())
    .sort((a, b) => (a.join() < b.join() ? -1 : 1));
}

describe('groupByAlias', () => {
  const cases: ReadonlyArray<readonly [string, readonly string[], string[][]]> = [
    [
      'an upstream cycle (CYCLE-ROOT-1 ↔ 2) ends, and the advisory naming both joins it',
      ['CYCLE-ROOT-1', 'CYCLE-ROOT-2', 'CYCLE-ROOT-3'],
      [['CYCLE-ROOT-1', 'CYCLE-ROOT-2', 'CYCLE-ROOT-3']],
    ],
    [
      'aliases chain ALIAS-CVE-1 → CVE-1 ← CVE-2, and ALIAS',
      ['ALIAS-CVE-1', 'ALIAS', 'CVE-1', 'CVE-2'],
      [['ALIAS', 'ALIAS-CVE-1', 'CVE-1', 'CVE-2']],
    ],
    [
      'a record with its own alias (CVE-3 = CVE-4) that also cites CVE-1/CVE-2 upstream stays apart from CVE-1',
      ['CVE-3', 'CVE-4', 'CVE-1'],
      [
        ['CVE-1', 'CVE-3'],
        ['CVE-3', 'CVE-4'],
      ],
    ],
    [
      'a multi-CVE USN joins each UBUNTU-CVE it fixes without merging them',
      ['USN-6315-1', 'UBUNTU-CVE-2023-4004', 'UBUNTU-CVE-2023-4015', 'UBUNTU-CVE-2023-21400'],
      [
        ['UBUNTU-CVE-2023-21400', 'USN-6315-1'],
        ['UBUNTU-CVE-2023-4004', 'USN-6315-1'],
        ['UBUNTU-CVE-2023-4015', 'USN-6315-1'],
      ],
    ],
    ['a multi-CVE advisory alone stands on its own', ['USN-6315-1'], [['USN-6315-1']]],
    [
      'unrelated records stay apart',
      ['CVE-2021-44228', 'CVE-2023-21400', 'CVE-5'],
      [['CVE-2021-44228'], ['CVE-2023-21400'], ['CVE-5']],
    ],
  ];
  it.each(cases)('%s', (_, ids, groups) => {
    expect(partition(records(ids))).toEqual(groups);
  });

  it('groups the same whatever order the records arrive in', () => {
    const all = [...examples.values()];
    const expected = partition(all);
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), (shuffled) => {
        expect(partition(shuffled)).toEqual(expected);
      }),
    );
  });

  it.each([
    [
      'the CVE among the identities',
      ['UBUNTU-CVE-2023-4004', 'CVE-2023-4004'],
      ['UBUNTU-CVE-2023-4004'],
      'CVE-2023-4004',
    ],
    ['the oldest CVE when a group has several', ['GHSA-x', 'CVE-2021-2', 'CVE-2020-10'], ['GHSA-x'], 'CVE-2020-10'],
    ['CVE numbers compare as numbers', ['CVE-2020-9999', 'CVE-2020-10000'], ['X'], 'CVE-2020-9999'],
    ['a record id when there is no CVE', ['GHSA-b', 'PYSEC-1'], ['PYSEC-1', 'GHSA-b'], 'GHSA-b'],
  ])('finding id: %s', (_, ids, recordIds, expected) => {
    expect(findingId(new Set(ids), recordIds)).toBe(expected);
  });
});
