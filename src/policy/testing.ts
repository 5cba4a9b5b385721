import type { Finding } from '../core/types.ts';

/** A finding for tests: lodash 4.17.20 from npm, HIGH, fixed in 4.17.21; override what the case needs. */
export function finding(
  overrides: Partial<Omit<Finding, 'package'>> & { package?: Partial<Finding['package']> } = {},
): Finding {
  const { package: pkg, ...rest } = overrides;
  return {
    id: 'CVE-2021-23337',
    aliases: ['GHSA-35jh-r3h4-6jhm'],
    sources: ['GHSA-35jh-r3h4-6jhm'],
    fixedVersions: ['4.17.21'],
    fixState: 'fixed',
    severity: 'HIGH',
    cvss: [],
    urls: [],
    ...rest,
    package: {
      name: 'lodash',
      version: '4.17.20',
      type: 'npm',
      ecosystem: 'npm',
      purl: 'pkg:npm/lodash@4.17.20',
      locations: ['app/node_modules/lodash/package.json'],
      ...pkg,
    },
  };
}
