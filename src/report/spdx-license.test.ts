import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyLicense } from './spdx-license.ts';

describe('classifyLicense', () => {
  it.each([
    ['MIT', { kind: 'id', id: 'MIT' }],
    ['  Apache-2.0 ', { kind: 'id', id: 'Apache-2.0' }],
    ['mit', { kind: 'id', id: 'MIT' }],
    ['gpl-2.0-only', { kind: 'id', id: 'GPL-2.0-only' }],
  ])('%j is a listed id', (input, expected) => {
    expect(classifyLicense(input)).toEqual(expected);
  });

  it.each([
    ['MIT OR Apache-2.0', 'MIT OR Apache-2.0', true, false],
    ['mit or apache-2.0', undefined, false, false],
    ['(mit OR Apache-2.0) AND bsd-3-clause', '(MIT OR Apache-2.0) AND BSD-3-Clause', true, false],
    ['GPL-2.0-or-later WITH Classpath-exception-2.0', 'GPL-2.0-or-later WITH Classpath-exception-2.0', true, false],
    ['Apache-2.0+', 'Apache-2.0+', false, false],
    ['LicenseRef-acme', 'LicenseRef-acme', false, true],
    ['MIT AND LicenseRef-acme-1.0', 'MIT AND LicenseRef-acme-1.0', true, true],
    ['( MIT )', '(MIT)', false, false],
  ])('%j is an expression', (input, expression, compound, hasLicenseRef) => {
    const result = classifyLicense(input);
    if (expression === undefined) expect(result.kind).toBe('text');
    else expect(result).toEqual({ kind: 'expression', expression, compound, hasLicenseRef });
  });

  it.each([
    '',
    '   ',
    'GPL-2+',
    'public-domain',
    'MIT and ASL 2.0',
    'MIT AND',
    'AND MIT',
    '(MIT',
    'MIT)',
    'MIT OR OR ISC',
    '(MIT OR ISC) WITH Classpath-exception-2.0',
    'MIT WITH LicenseRef-x',
    'MIT WITH',
    'DocumentRef-x:LicenseRef-y',
    'MIT\u0000',
    'LicenseRef-',
    'LicenseRef-a b',
    `${'('.repeat(40)}MIT${')'.repeat(40)}`,
    `MIT${' OR MIT'.repeat(200)}`,
  ])('%j is free text', (input) => {
    expect(classifyLicense(input)).toEqual({ kind: 'text', text: input.trim() });
  });

  it('never throws and always returns the trimmed text for text results', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (input) => {
        const result = classifyLicense(input);
        if (result.kind === 'text') expect(result.text).toBe(input.trim());
        if (result.kind === 'expression') expect(classifyLicense(result.expression)).toEqual(result);
      }),
    );
  });
});
