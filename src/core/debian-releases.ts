/**
 * Debian release codenames and versions: one table for the Debian tracker source (which keys its
 * data by codename) and the matcher (which reads VERSION_CODENAME when VERSION_ID is absent).
 */
/** Codename → version, from distro-info-data's debian.csv (osv.dev reads the same table). */
export const debianReleases: Readonly<Record<string, string>> = Object.freeze({
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4.0',
  lenny: '5.0',
  squeeze: '6.0',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
});
