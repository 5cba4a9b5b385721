import { describe, expect, it } from 'vitest';
import type { OsvRecord } from '../core/osv.ts';
import type { CvssScore, Package } from '../core/types.ts';
import { matchInventory } from './index.ts';
import { chooseSeverity, scoreVector, severityOfEcosystemRating } from './severity.ts';
import { InMemoryVulnDb, inventoryOf } from './testing.ts';

describe('scoreVector (ae-cvss-calculator)', () => {
  it.each([
    // NVD's published base scores for these vectors
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N', 'CVSS_V3', 6.5, 'MEDIUM'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 'CVSS_V3', 10, 'CRITICAL'],
    ['CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', 'CVSS_V3', 4, 'MEDIUM'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 'CVSS_V3', 0, 'NONE'],
    ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 'CVSS_V2', 4.3, 'MEDIUM'],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 'CVSS_V2', 10, 'HIGH'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'CVSS_V4', 9.3, 'CRITICAL'],
  ] as const)('%s → %s %d %s', (vector, type, score, severity) => {
    expect(scoreVector(vector, 'osv')).toEqual({ type, vector, score, severity, source: 'osv' });
  });

  it.each(['', 'garbage', 'CVSS:3.1/AV:N'])('rejects %j', (vector) => {
    expect(scoreVector(vector, 'osv')).toBeUndefined();
  });
});

describe('ecosystem ratings', () => {
  it.each([
    ['CRITICAL', 'CRITICAL'],
    ['MODERATE', 'MEDIUM'],
    ['moderate', 'MEDIUM'],
    ['Important', 'HIGH'],
    ['negligible', 'LOW'],
    ['unimportant', 'LOW'],
    ['not yet assigned', 'UNKNOWN'],
    ['untriaged', 'UNKNOWN'],
  ])('%s → %s', (rating, severity) => {
    expect(severityOfEcosystemRating(rating)).toBe(severity);
  });
});

const score = (type: string, value: number, severity: CvssScore['severity'], source = 'osv'): CvssScore => ({
  type,
  vector: `${type}:${value}`,
  score: value,
  severity,
  source,
});

describe('chooseSeverity: record CVSS v3 > v4 > v2, then NVD, then the ecosystem rating', () => {
  it.each([
    [
      'v3 over v4 and v2',
      [score('CVSS_V4', 9.3, 'CRITICAL'), score('CVSS_V3', 5, 'MEDIUM'), score('CVSS_V2', 7, 'HIGH')],
      [],
      'LOW',
      'MEDIUM',
    ],
    ['v4 over v2', [score('CVSS_V2', 7, 'HIGH'), score('CVSS_V4', 2, 'LOW')], [], undefined, 'LOW'],
    ['the highest of one version', [score('CVSS_V3', 5, 'MEDIUM'), score('CVSS_V3', 8, 'HIGH')], [], undefined, 'HIGH'],
    [
      'record over NVD',
      [score('CVSS_V2', 4, 'MEDIUM')],
      [score('CVSS_V3', 9.8, 'CRITICAL', 'nvd')],
      undefined,
      'MEDIUM',
    ],
    ['NVD when the record has none', [], [score('CVSS_V3', 9.8, 'CRITICAL', 'nvd')], 'low', 'CRITICAL'],
    ['the ecosystem rating last', [], [], 'MODERATE', 'MEDIUM'],
    ['UNKNOWN when nothing says', [], [], undefined, 'UNKNOWN'],
  ] as const)('%s', (_, record, nvd, rating, expected) => {
    expect(chooseSeverity(record, nvd, rating)).toBe(expected);
  });
});

describe('enrichment through the DB', () => {
  // GHSA-jfh8-c2jp-5v3q's ranges (log4shell), without its severity so that NVD's CVSS decides
  const log4shell: OsvRecord = {
    id: 'GHSA-jfh8-c2jp-5v3q',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2021-44228'],
    summary: 'Remote code injection in Log4j',
    affected: [
      {
        package: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' },
        ranges: [
          {
            type: 'ECOSYSTEM',
            events: [{ introduced: '2.13.0' }, { fixed: '2.15.0' }, { introduced: '2.0-beta9' }, { fixed: '2.3.1' }],
          },
        ],
      },
    ],
    references: [{ type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228' }],
  };
  const db = new InMemoryVulnDb([log4shell], {
    // values as CISA KEV 2025.08.25 lists CVE-2021-44228
    kev: [
      { cveId: 'CVE-2021-44228', dateAdded: '2021-12-10', dueDate: '2021-12-24', knownRansomwareCampaignUse: true },
    ],
    epss: [{ cveId: 'CVE-2021-44228', score: 0.94358, percentile: 0.99973, date: '2025-02-20' }],
    nvd: [
      {
        cveId: 'CVE-2021-44228',
        type: 'CVSS_V3',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
        baseScore: 10,
      },
    ],
  });
  const log4j: Package = {
    type: 'maven',
    ecosystem: 'Maven',
    name: 'org.apache.logging.log4j:log4j-core',
    version: '2.14.1',
    purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
    locations: ['app/lib/log4j-core-2.14.1.jar'],
  };

  it('KEV, EPSS and NVD CVSS join the finding under its CVE', () => {
    const [finding] = matchInventory(inventoryOf([log4j]), db).findings;
    expect(finding).toMatchObject({
      id: 'CVE-2021-44228',
      aliases: ['GHSA-jfh8-c2jp-5v3q'],
      fixedVersions: ['2.15.0'],
      severity: 'CRITICAL',
      cvss: [{ type: 'CVSS_V3', score: 10, severity: 'CRITICAL', source: 'nvd' }],
      kev: { dateAdded: '2021-12-10', dueDate: '2021-12-24', ransomware: true },
      epss: { score: 0.94358, percentile: 0.99973, date: '2025-02-20' },
      urls: ['https://nvd.nist.gov/vuln/detail/CVE-2021-44228'],
    });
  });

  it('Maven orders 2.0-beta9 below 2.0 and 2.3', () => {
    const old = { ...log4j, version: '2.0' };
    expect(matchInventory(inventoryOf([old]), db).findings[0]?.fixedVersions).toEqual(['2.3.1']);
    expect(matchInventory(inventoryOf([{ ...log4j, version: '2.0-alpha1' }]), db).findings).toEqual([]);
  });
});
