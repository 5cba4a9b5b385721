import type { VulnDbReader } from '../core/osv.ts';
import type { Finding, Inventory, Package } from '../core/types.ts';
import { groupByAlias } from './dedupe.ts';
import { type DistroStatus, type DistroTarget, distroState, distroTarget, hasUbuntuProPackages } from './distro.ts';
import {
  type Candidate,
  type FactsCache,
  type FindingVulnerability,
  findingOf,
  memoisedEnrichment,
  vulnerabilityOf,
} from './finding.ts';
import { CompiledCache, type Lookup, matchPackage, memoisedLookup, orderable } from './match-package.ts';
import { ecosystemOfPurlType, installedVersion, isLanguageEcosystem, schemeForEcosystem } from './schemes.ts';

export { groupByAlias } from './dedupe.ts';
export type { DistroState, DistroStatus } from './distro.ts';
export { endOfLife } from './eol.ts';
export { compileAffected, evaluateAffected } from './ranges.ts';
export { schemeForEcosystem } from './schemes.ts';
export { chooseSeverity, scoreVector } from './severity.ts';

export interface MatchOptions {
  /** the clock for end-of-life decisions (default: now) */
  readonly now?: Date;
  /**
   * Ubuntu: also match "Ubuntu:Pro:<release>:LTS" records. Default: detected, true when an
   * installed package carries an ESM version ("+esm1"), which only Ubuntu Pro systems install.
   */
  readonly ubuntuPro?: boolean;
}

export interface MatchResult {
  /** sorted by package name, version, location, then finding id */
  readonly findings: Finding[];
  /** what could not be matched and why (GIT ranges, unparsable versions, unsupported distro ...) */
  readonly notes: string[];
  readonly distroStatus: DistroStatus;
}

/** notes are capped so a hostile or broken dataset cannot grow a report without bound */
const MAX_NOTES = 1000;

/**
 * Compiled ranges and scored records survive between calls on one reader: re-matching stored
 * inventories against one DB is the common case. They are kept per reader because a record id and
 * modification time name one content only within one DB.
 */
const readerCaches = new WeakMap<VulnDbReader, ReaderCaches>();

interface ReaderCaches {
  readonly compiled: CompiledCache;
  readonly facts: FactsCache;
  /** what matching a package gave, by packageMatchKey: images share most packages */
  readonly packages: Map<string, PackageMatch>;
}

/**
 * One package's match, the same for every package with the same lookup (names, version, ecosystem
 * and the release's accepted ecosystems): the vulnerability half of each finding, and the notes
 * matching wrote, replayed into each inventory's notes.
 */
interface PackageMatch {
  readonly vulnerabilities: readonly FindingVulnerability[];
  readonly notes: readonly string[];
  readonly gitRecords: readonly string[];
}

/**
 * distinct package lookups kept per reader; past this the map starts again. A fleet re-match reads
 * the same few thousand (a fleet built on a few base images: see bench/service.ts).
 */
const PACKAGE_MATCHES = 200_000;

function cachesFor(db: VulnDbReader): ReaderCaches {
  let caches = readerCaches.get(db);
  if (caches === undefined) {
    caches = { compiled: new CompiledCache(), facts: new Map(), packages: new Map() };
    readerCaches.set(db, caches);
  }
  return caches;
}

/**
 * Every vulnerability the DB knows for the inventory's packages: language packages by their OSV
 * ecosystem and name, OS packages against the distro release's OSV ecosystem (Debian/Ubuntu via
 * source package, Alpine via origin, rpm via binary and source rpm name), one finding per
 * vulnerability and package after de-duplication by alias.
 */
export function matchInventory(inventory: Inventory, db: VulnDbReader, options: MatchOptions = {}): MatchResult {
  const notes = new Set<string>();
  const note = (message: string) => {
    if (notes.size < MAX_NOTES) notes.add(message);
  };
  const gitRecords = new Set<string>();
  const now = options.now ?? new Date();
  const ubuntuPro = options.ubuntuPro ?? hasUbuntuProPackages(inventory.packages);
  const knownEcosystems = new Set(db.ecosystems());
  const target = inventory.distro === undefined ? undefined : distroTarget(inventory.distro, ubuntuPro);
  const distroStatus = statusOf(inventory, target, knownEcosystems, now, ubuntuPro, note);
  const targetKey = `${target?.ecosystem}\u0001${ubuntuPro}`;
  const caches = cachesFor(db);
  const advisories = memoisedLookup(db, caches.compiled);
  const enrichment = memoisedEnrichment(db, caches.facts);
  const findings: Finding[] = [];
  let osPackagesSkipped = 0;

  for (const pkg of inventory.packages) {
    const ecosystem = pkg.ecosystem ?? ecosystemOfPurlType(pkg.type);
    // The application's own package (a root package.json, a .deps.json project, a Gemfile's path
    // gem) is not the registry package that happens to share its name: matching it would report
    // someone else's advisories. A Go binary's main module is a published module, so it stays.
    if (pkg.root === true && ecosystem !== 'Go') continue;
    const lookup = ecosystem !== undefined ? languageLookup(pkg, ecosystem, note) : osLookup(pkg, target, targetKey);
    if (lookup === undefined) {
      if (ecosystem === undefined) osPackagesSkipped++;
      continue;
    }
    const scheme = schemeForEcosystem(lookup.baseEcosystem) as string;
    const key = packageMatchKey(lookup);
    let match = caches.packages.get(key);
    if (match === undefined) {
      // a version once kept (the key holds it) was orderable
      if (!orderable(scheme, lookup.version)) {
        note(`${pkg.name}: version ${JSON.stringify(pkg.version)} is not a valid ${scheme} version; not matched`);
        continue;
      }
      match = matchOnePackage(lookup, scheme, advisories, caches.compiled, enrichment);
      if (caches.packages.size >= PACKAGE_MATCHES) caches.packages.clear();
      caches.packages.set(key, match);
    }
    for (let n = 0; n < match.notes.length; n++) note(match.notes[n] as string);
    for (let g = 0; g < match.gitRecords.length; g++) gitRecords.add(match.gitRecords[g] as string);
    if (match.vulnerabilities.length === 0) continue;
    const matched = { pkg, ecosystem: lookup.ecosystemLabel, scheme };
    for (let v = 0; v < match.vulnerabilities.length; v++) {
      findings.push(findingOf(match.vulnerabilities[v] as FindingVulnerability, matched));
    }
  }
  if (osPackagesSkipped > 0 && target !== undefined) {
    note(`${osPackagesSkipped} OS package(s) not matched: their type does not fit ${target.ecosystem}`);
  } else if (osPackagesSkipped > 0) {
    note(`${osPackagesSkipped} OS package(s) not matched: no supported distro`);
  }
  if (gitRecords.size > 0) {
    const ids = [...gitRecords].sort();
    const shown = ids.length > 10 ? `${ids.slice(0, 10).join(', ')} …` : ids.join(', ');
    note(
      `GIT ranges ignored (they need the repository's commit graph) in ${ids.length} record(s); their ECOSYSTEM/SEMVER ranges and versions lists were used: ${shown}`,
    );
  }
  return { findings: sortFindings(findings), notes: [...notes], distroStatus };
}

type LookupWithLabel = Lookup & {
  readonly ecosystemLabel: string;
  /** names what `accepts` accepts: the distro release's target, or any (language ecosystems) */
  readonly acceptsKey: string;
};

/** JSON, so that no name or version a hostile inventory holds can make two lookups one key */
const packageMatchKey = (lookup: LookupWithLabel): string =>
  JSON.stringify([lookup.acceptsKey, lookup.baseEcosystem, lookup.version, lookup.names]);

const NO_VULNERABILITIES: readonly FindingVulnerability[] = [];

function matchOnePackage(
  lookup: LookupWithLabel,
  scheme: string,
  advisories: ReturnType<typeof memoisedLookup>,
  compiled: CompiledCache,
  enrichment: ReturnType<typeof memoisedEnrichment>,
): PackageMatch {
  const notes: string[] = [];
  const gitRecords: string[] = [];
  const candidates = matchPackage(lookup, advisories, compiled, {
    note: (message) => notes.push(message),
    gitRange: (id) => gitRecords.push(id),
  });
  const vulnerabilities =
    candidates.length === 0
      ? NO_VULNERABILITIES
      : groupByAlias(candidates, (c: Candidate) => c.record).map((group) => vulnerabilityOf(group, scheme, enrichment));
  return { vulnerabilities, notes, gitRecords };
}

function languageLookup(pkg: Package, ecosystem: string, note: (m: string) => void): LookupWithLabel | undefined {
  if (!isLanguageEcosystem(ecosystem)) {
    note(`ecosystem ${JSON.stringify(ecosystem)} is not supported; ${pkg.name} not matched`);
    return undefined;
  }
  const base = ecosystem.split(':')[0] as string;
  return {
    names: [pkg.name],
    version: installedVersion(ecosystem, pkg.name, pkg.version, pkg.epoch),
    baseEcosystem: base,
    // "Maven:<repository URL>" and "Packagist:<repository URL>" name the same packages
    accepts: () => true,
    ecosystemLabel: ecosystem,
    acceptsKey: '*',
  };
}

/** `acceptsKey`: target.accepts depends on the release and, for Ubuntu, on Ubuntu Pro (see distroTarget) */
function osLookup(pkg: Package, target: DistroTarget | undefined, acceptsKey: string): LookupWithLabel | undefined {
  if (target === undefined || pkg.type !== target.packageType) return undefined;
  const base = target.baseEcosystem;
  let names: string[];
  let version: string;
  if (target.packageType === 'deb') {
    // OSV Debian/Ubuntu records name source packages; a binNMU's binary version ("1.2-3+b1") differs
    // from its source version, which is what the ranges use
    names = [pkg.sourceName ?? pkg.name];
    version = pkg.sourceVersion ?? pkg.version;
  } else if (target.packageType === 'apk') {
    names = [pkg.sourceName ?? pkg.name];
    version = pkg.version;
  } else {
    // AlmaLinux records name binary rpms (ALSA-2023:1405 lists openssl-libs); SUSE, Rocky and the
    // schema's other rpm ecosystems name the source rpm; Red Hat either: look up both
    names = [pkg.name];
    if (pkg.sourceName !== undefined && pkg.sourceName !== pkg.name) names.push(pkg.sourceName);
    version = pkg.version;
  }
  return {
    names,
    version: installedVersion(base, pkg.name, version, pkg.epoch),
    baseEcosystem: base,
    accepts: (e) => target.accepts(e),
    ecosystemLabel: target.ecosystem,
    acceptsKey,
  };
}

function statusOf(
  inventory: Inventory,
  target: DistroTarget | undefined,
  known: ReadonlySet<string>,
  now: Date,
  ubuntuPro: boolean,
  note: (m: string) => void,
): DistroStatus {
  const distro = inventory.distro;
  if (distro === undefined) return { state: 'none', dataAvailable: false };
  const base = {
    id: distro.id,
    ...(distro.versionId !== undefined && { versionId: distro.versionId }),
  };
  if (target === undefined) {
    note(`distro ${distro.id} ${distro.versionId ?? ''} is not supported: OS packages were not matched`.trim());
    return { ...base, state: 'unsupported', dataAvailable: false };
  }
  const { state, endOfLife } = distroState(target, now);
  const dataAvailable = [...known].some((e) => target.accepts(e));
  if (state === 'end-of-life') {
    note(
      `${target.ecosystem} reached end of life on ${endOfLife}: vulnerabilities found after that are not published for it`,
    );
  } else if (state === 'unknown-release') {
    note(`${target.ecosystem}: release not in Vigil's end-of-life table`);
  }
  if (!dataAvailable)
    note(`the vulnerability DB has no records for ${target.ecosystem}: OS packages could not be checked`);
  return {
    ...base,
    ecosystem: target.ecosystem,
    state,
    ...(endOfLife !== undefined && { endOfLife }),
    dataAvailable,
    ...(target.baseEcosystem === 'Ubuntu' && { ubuntuPro }),
  };
}

/** by package name, version, locations, then finding id; each finding's locations joined once */
function sortFindings(findings: readonly Finding[]): Finding[] {
  const keyed = findings.map((finding) => ({ finding, locations: finding.package.locations.join('\n') }));
  keyed.sort(
    (a, b) =>
      cmp(a.finding.package.name, b.finding.package.name) ||
      cmp(a.finding.package.version, b.finding.package.version) ||
      cmp(a.locations, b.locations) ||
      cmp(a.finding.id, b.finding.id),
  );
  return keyed.map((k) => k.finding);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
