import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../core/errors.ts';
import { MAX_POLICY_BYTES } from './policy-text.ts';
import { parseVex } from './vex.ts';

const fixture = (name: string) => readFileSync(new URL(`./testdata/vex/${name}`, import.meta.url), 'utf8');
const brief = (s: ReturnType<typeof parseVex>[number]) => ({
  vulnerability: s.vulnerability,
  product: s.product,
  subcomponents: s.subcomponents,
  status: s.status,
  justification: s.justification,
  detail: s.detail,
  cyclonedxState: s.cyclonedxState,
  timestamp: s.timestamp?.toISOString(),
  field: s.field,
});

describe('OpenVEX 0.2.0', () => {
  it('flattens statements to one per product, with document time as the default timestamp', () => {
    const statements = parseVex(fixture('openvex.json'), 'openvex.json');
    expect(statements.every((s) => s.file === 'openvex.json')).toBe(true);
    expect(statements.map(brief)).toEqual([
      {
        vulnerability: ['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm'],
        product: ['pkg:npm/lodash'],
        subcomponents: [],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        detail: 'template() is never called',
        cyclonedxState: undefined,
        timestamp: '2026-11-01T09:00:00.000Z',
        field: 'statements[0]',
      },
      {
        vulnerability: ['CVE-2023-0464', 'https://nvd.nist.gov/vuln/detail/CVE-2023-0464'],
        product: ['pkg:oci/app@sha256%3A7c41e3b0d2f1a9e8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa'],
        subcomponents: ['pkg:deb/debian/libssl3?arch=amd64'],
        status: 'fixed',
        justification: undefined,
        detail: undefined,
        cyclonedxState: undefined,
        timestamp: '2026-11-02T09:00:00.000Z',
        field: 'statements[1]',
      },
      expect.objectContaining({
        product: ['pkg:deb/debian/bash'],
        status: 'under_investigation',
        field: 'statements[2]',
      }),
      expect.objectContaining({
        product: ['pkg:deb/debian/dash'],
        status: 'under_investigation',
        field: 'statements[2]',
      }),
      expect.objectContaining({
        vulnerability: ['CVE-2022-0001'],
        product: ['sha256:7c41e3b0d2f1a9e8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa'],
        justification: 'component_not_present',
      }),
      expect.objectContaining({ status: 'affected', timestamp: '2026-10-01T00:00:00.000Z', field: 'statements[4]' }),
    ]);
  });
});

describe('OpenVEX 0.0.x drafts', () => {
  it('reads bare-string vulnerabilities, products and statement-level subcomponents (which narrow every product)', () => {
    const text = JSON.stringify({
      '@context': 'https://openvex.dev/ns',
      statements: [
        { vulnerability: 'CVE-2023-1', products: ['pkg:oci/app'], subcomponents: ['pkg:npm/x'], status: 'fixed' },
        {
          vulnerability: 'CVE-2023-2',
          products: [{ '@id': 'pkg:oci/app', subcomponents: ['pkg:npm/y'] }],
          status: 'fixed',
        },
      ],
    });
    expect(parseVex(text, 'old.json').map((s) => [s.vulnerability, s.product, s.subcomponents])).toEqual([
      [['CVE-2023-1'], ['pkg:oci/app'], ['pkg:npm/x']],
      [['CVE-2023-2'], ['pkg:oci/app'], ['pkg:npm/y']],
    ]);
  });
});

describe('CycloneDX VEX', () => {
  it('resolves bom-refs, nested components and BOM-Links to purls; skips unanalysed entries', () => {
    const statements = parseVex(fixture('cyclonedx-vex.json'), 'vex.cdx.json');
    expect(statements.map(brief)).toEqual([
      {
        vulnerability: ['CVE-2023-0464'],
        product: ['pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64'],
        subcomponents: [],
        status: 'not_affected',
        justification: 'code_not_reachable',
        detail: 'policy checks disabled',
        cyclonedxState: 'not_affected',
        timestamp: '2026-11-03T00:00:00.000Z',
        field: 'vulnerabilities[0]',
      },
      expect.objectContaining({
        vulnerability: ['GHSA-35jh-r3h4-6jhm', 'CVE-2021-23337'],
        product: ['pkg:npm/lodash@4.17.20'],
        status: 'not_affected',
        cyclonedxState: 'false_positive',
        timestamp: '2026-11-04T00:00:00.000Z',
      }),
      expect.objectContaining({ product: ['pkg:apk/alpine/musl'], status: 'fixed', cyclonedxState: 'resolved' }),
      expect.objectContaining({ vulnerability: ['CVE-2024-2222'], status: 'under_investigation' }),
    ]);
  });
});

const openvex = (statements: unknown[]) => JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements });
const cyclonedx = (vulnerabilities: unknown[], specVersion = '1.6') =>
  JSON.stringify({ bomFormat: 'CycloneDX', specVersion, components: [], vulnerabilities });

describe('malformed VEX names the file and field', () => {
  it.each([
    ['not JSON', '{', 'v.json: not JSON'],
    ['neither format', '{"statements": []}', 'v.json: neither OpenVEX'],
    [
      'an unknown status',
      openvex([{ vulnerability: { name: 'CVE-1' }, products: [{ '@id': 'pkg:npm/a' }], status: 'maybe' }]),
      'v.json:statements[0].status',
    ],
    [
      'not_affected without justification',
      openvex([{ vulnerability: { name: 'CVE-1' }, products: [{ '@id': 'pkg:npm/a' }], status: 'not_affected' }]),
      'v.json:statements[0]: status not_affected needs',
    ],
    [
      'an unknown justification',
      openvex([{ vulnerability: 'CVE-1', products: [], status: 'not_affected', justification: 'trust me' }]),
      'v.json:statements[0].justification',
    ],
    [
      'a product without identity',
      openvex([{ vulnerability: 'CVE-1', products: [{}], status: 'fixed' }]),
      'v.json:statements[0].products[0]',
    ],
    [
      'a bad timestamp',
      openvex([{ vulnerability: 'CVE-1', products: [], status: 'fixed', timestamp: 'yesterday' }]),
      'v.json:statements[0].timestamp',
    ],
    [
      'a vulnerability without name',
      openvex([{ vulnerability: {}, products: [], status: 'fixed' }]),
      'v.json:statements[0].vulnerability',
    ],
    ['CycloneDX 1.3', cyclonedx([], '1.3'), 'v.json:specVersion'],
    [
      'an unknown analysis state',
      cyclonedx([{ id: 'CVE-1', analysis: { state: 'fine' }, affects: [] }]),
      'v.json:vulnerabilities[0].analysis.state',
    ],
    [
      'a dangling ref',
      cyclonedx([{ id: 'CVE-1', analysis: { state: 'resolved' }, affects: [{ ref: 'nowhere' }] }]),
      'v.json:vulnerabilities[0].affects[0].ref',
    ],
  ])('%s', (_name, text, message) => {
    expect(() => parseVex(text, 'v.json')).toThrow(expect.objectContaining({ code: 'VIGIL_POLICY_INVALID' }));
    expect(() => parseVex(text, 'v.json')).toThrow(message);
  });
});

describe('hostile VEX', () => {
  it('refuses an oversized document before parsing', () => {
    expect(() => parseVex(' '.repeat(MAX_POLICY_BYTES + 1), 'big.json')).toThrow('big.json: larger than');
  });

  it('walks deeply nested CycloneDX components without recursion', () => {
    const depth = 20_000;
    const components = `${'[{"bom-ref":"c","name":"x","components":'.repeat(depth)}[{"bom-ref":"deep","name":"x","purl":"pkg:npm/deep@1"}]${'}]'.repeat(depth)}`;
    const vulnerabilities = '[{"id":"CVE-1","analysis":{"state":"resolved"},"affects":[{"ref":"deep"}]}]';
    const text = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":${components},"vulnerabilities":${vulnerabilities}}`;
    expect(parseVex(text, 'deep.json')[0]?.product).toEqual(['pkg:npm/deep@1']);
  });

  it('arbitrary JSON values parse or fail with VIGIL_POLICY_INVALID', () => {
    const anyStatement = fc.record({
      vulnerability: fc.oneof(fc.string(), fc.record({ name: fc.string() }), fc.anything()),
      products: fc.array(fc.oneof(fc.record({ '@id': fc.string() }), fc.anything()), { maxLength: 3 }),
      status: fc.constantFrom('not_affected', 'fixed', 'affected', 'under_investigation', 'x'),
      justification: fc.constantFrom('component_not_present', 'nope', undefined),
      timestamp: fc.oneof(fc.constant('2026-01-01T00:00:00Z'), fc.string()),
    });
    fc.assert(
      fc.property(fc.array(anyStatement, { maxLength: 4 }), fc.jsonValue(), (statements, junk) => {
        for (const text of [openvex(statements), JSON.stringify(junk), cyclonedx([junk])]) {
          try {
            parseVex(text, 'f.json');
          } catch (err) {
            expect(isVigilError(err, 'VIGIL_POLICY_INVALID'), String(err)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
