import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OsvAffected } from '../core/osv.ts';
import { rebuiltFixVerdict } from './rpm-streams.ts';
import { readRecords } from './testing.ts';

// ALBA-2019:0973 (real, testdata/almalinux): oci-systemd-hook fixed in three module-stream builds
const alba = readRecords(join(import.meta.dirname, 'testdata/almalinux')).find((r) => r.id === 'ALBA-2019:0973');
const hook = (alba?.affected ?? []).filter((a) => a.package?.name === 'oci-systemd-hook');
const FIX_84 = '1:0.1.15-2.git2d0b8a3.module_el8.4.0+2496+12421f43';

function simple(fixed: string): OsvAffected {
  return {
    package: { ecosystem: 'AlmaLinux:8', name: 'nodejs' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
  };
}

describe('one fix rebuilt per module stream (AlmaLinux)', () => {
  it('reads three entries from the real record', () => {
    expect(hook).toHaveLength(3);
  });

  it.each([
    ['the el8.4.0 fix itself', FIX_84, { affected: false, fixed: [] }],
    [
      'an older build of the el8.4.0 stream',
      '1:0.1.15-1.module_el8.4.0+100+aaaaaaaa',
      { affected: true, fixed: [FIX_84] },
    ],
    ['a newer release of the el8.3.0 stream', '1:0.1.15-3.module_el8.3.0+1+aaaaaaaa', { affected: false, fixed: [] }],
    [
      'a stream no fix was built for, below every fix',
      '1:0.1.14-1.module_el8.6.0+1+aaaaaaaa',
      {
        affected: true,
        fixed: [
          '1:0.1.15-2.git2d0b8a3.module_el8.5.0+119+9a9ec082',
          FIX_84,
          '1:0.1.15-2.git2d0b8a3.module_el8.3.0+2044+12421f43',
        ],
      },
    ],
    [
      'a stream no fix was built for, at or above one of them',
      '1:0.1.15-2.git2d0b8a3.module_el8.6.0+1+aaaaaaaa',
      { affected: false, fixed: [] },
    ],
  ])('%s', (_, installed, verdict) => {
    expect(rebuiltFixVerdict(hook, installed)).toEqual(verdict);
  });

  it.each([
    [
      'different upstream versions (two nodejs streams in one advisory)',
      [simple('1:18.19.0-1.module_el8.9.0+1+a'), simple('1:20.11.0-1.module_el8.9.0+2+b')],
    ],
    ['a single entry', [simple('1:20.11.0-1.el8')]],
    [
      'an entry with more than one range event pair',
      [simple('1.0-1.el8'), { ...simple('1.0-2.el8'), versions: ['1.0-1.el8'] }],
    ],
  ])('not rebuilds: %s', (_, entries) => {
    expect(rebuiltFixVerdict(entries, '1:18.0.0-1.module_el8.9.0+1+a')).toBeUndefined();
  });
});
