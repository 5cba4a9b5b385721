/**
 * End-of-security-support dates per distro release, as Trivy's per-distro detectors keep them
 * (trivy pkg/detector/ospkg/<distro>/<distro>.go, `eolDates`), checked against the distros' own
 * tables. The clock is a parameter so tests pin it. A release past its date is still matched (its
 * advisories stay true) but reported as end-of-life: new vulnerabilities are no longer tracked.
 *
 * Sources:
 * - Debian: distro-info-data debian.csv, column "eol-lts" (https://debian.pages.debian.net/distro-info-data/debian.csv),
 *   https://wiki.debian.org/LTS
 * - Ubuntu: distro-info-data ubuntu.csv, columns "eol" (interim) and "eol-server" (LTS standard support);
 *   Ubuntu Pro/ESM ends at "eol-esm" (https://ubuntu.com/about/release-cycle)
 * - Alpine: https://alpinelinux.org/releases/ ("end of support" column)
 * - RHEL: https://access.redhat.com/support/policy/updates/errata (end of Maintenance Support)
 * - AlmaLinux: https://wiki.almalinux.org/release-notes/ (security support end)
 * - Rocky Linux: https://wiki.rockylinux.org/rocky/version/ (end of life)
 */
const eolDates: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  debian: {
    '7': '2018-05-31',
    '8': '2020-06-30',
    '9': '2022-06-30',
    '10': '2024-06-30',
    '11': '2026-08-31',
    '12': '2028-06-30',
    '13': '2030-06-30',
  },
  ubuntu: {
    '14.04': '2019-04-25',
    '16.04': '2021-04-30',
    '18.04': '2023-05-31',
    '20.04': '2025-05-29',
    '20.10': '2021-07-22',
    '21.04': '2022-01-20',
    '21.10': '2022-07-14',
    '22.04': '2027-06-01',
    '22.10': '2023-07-20',
    '23.04': '2024-01-25',
    '23.10': '2024-07-11',
    '24.04': '2029-05-31',
    '24.10': '2025-07-10',
    '25.04': '2026-01-15',
    '25.10': '2026-07-09',
    '26.04': '2031-05-31',
  },
  'ubuntu-pro': {
    '14.04': '2024-04-25',
    '16.04': '2026-04-23',
    '18.04': '2028-05-31',
    '20.04': '2030-05-31',
    '22.04': '2032-04-09',
    '24.04': '2034-04-25',
    '26.04': '2036-04-30',
  },
  alpine: {
    '3.10': '2021-05-01',
    '3.11': '2021-11-01',
    '3.12': '2022-05-01',
    '3.13': '2022-11-01',
    '3.14': '2023-05-01',
    '3.15': '2023-11-01',
    '3.16': '2024-05-23',
    '3.17': '2024-11-22',
    '3.18': '2025-05-09',
    '3.19': '2025-11-01',
    '3.20': '2026-04-01',
    '3.21': '2026-11-01',
    '3.22': '2027-05-01',
    '3.23': '2027-11-01',
  },
  rhel: { '6': '2020-11-30', '7': '2024-06-30', '8': '2029-05-31', '9': '2032-05-31', '10': '2035-05-31' },
  almalinux: { '8': '2029-03-01', '9': '2032-05-31', '10': '2035-05-31' },
  rocky: { '8': '2029-05-31', '9': '2032-05-31', '10': '2035-05-31' },
};

/** the end-of-support date (YYYY-MM-DD) of a release, or undefined when the table does not know it */
export function endOfLife(table: string, release: string): string | undefined {
  return eolDates[table]?.[release];
}

/** a release is end-of-life from the day after its last supported day (UTC) */
export function isPast(date: string, now: Date): boolean {
  return now.getTime() >= Date.parse(`${date}T00:00:00Z`) + 86_400_000;
}
