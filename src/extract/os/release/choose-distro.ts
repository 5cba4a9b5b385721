/**
 * Picks the image's distro from the candidates os/release found, one per release file. os-release
 * is the standard and wins (/etc/os-release over /usr/lib/os-release, as os-release(5) orders
 * them); vendor files stand in where it is missing and refine it where they are more precise.
 */
import type { Distro } from '../../../core/types.ts';

/** lower rank wins */
const RANK: ReadonlyMap<string, number> = new Map([
  ['etc/os-release', 0],
  ['usr/lib/os-release', 1],
  ['etc/alpine-release', 2],
  ['etc/centos-release', 2],
  ['etc/rocky-release', 2],
  ['etc/almalinux-release', 2],
  ['etc/fedora-release', 2],
  ['etc/oracle-release', 2],
  ['etc/photon-release', 2],
  ['etc/SuSE-release', 2],
  ['etc/redhat-release', 3],
  ['etc/system-release', 4],
  ['etc/lsb-release', 5],
  ['etc/debian_version', 6],
]);

/**
 * Files whose version is a point release of the os-release VERSION_ID: Debian's os-release says
 * "12" where debian_version says "12.5" (syft supplementDebianVersion does the same); Alpine's
 * alpine-release is the full version os-release normally repeats.
 */
const REFINES: ReadonlyMap<string, string> = new Map([
  ['debian', 'etc/debian_version'],
  ['alpine', 'etc/alpine-release'],
]);

function rankOf(d: Distro): number {
  return RANK.get(d.source.replace(/^\/+/, '')) ?? 7;
}

export function chooseDistro(candidates: readonly Distro[]): Distro | undefined {
  const ranked = candidates
    .map((d, order) => ({ d, order }))
    .filter(({ d }) => d.id !== '')
    .sort((a, b) => rankOf(a.d) - rankOf(b.d) || a.order - b.order)
    .map(({ d }) => d);
  const primary = ranked[0];
  if (!primary) return undefined;
  const sameId = ranked.slice(1).filter((d) => d.id === primary.id);

  let versionId = primary.versionId;
  const refinerPath = REFINES.get(primary.id);
  const refiner = sameId.find((d) => d.source.replace(/^\/+/, '') === refinerPath && d.versionId);
  if (refiner?.versionId && (!versionId || refiner.versionId.startsWith(`${versionId}.`))) {
    versionId = refiner.versionId;
  }
  versionId ??= sameId.find((d) => d.versionId)?.versionId;
  const versionCodename = primary.versionCodename ?? sameId.find((d) => d.versionCodename)?.versionCodename;
  const prettyName = primary.prettyName ?? sameId.find((d) => d.prettyName)?.prettyName;
  return {
    id: primary.id,
    ...(versionId ? { versionId } : {}),
    ...(versionCodename ? { versionCodename } : {}),
    ...(prettyName ? { prettyName } : {}),
    ...(primary.idLike ? { idLike: primary.idLike } : {}),
    source: primary.source,
  };
}
