/**
 * Packages from Go build info and from go.mod, in OSV's "Go" ecosystem with pkg:golang purls.
 * Module versions stay as Go writes them ("v1.2.3"; the go version scheme reads them with or
 * without the "v"); the toolchain becomes the `stdlib` package that Go's standard-library advisories
 * name, versioned "1.21.3" as osv-scanner reports it.
 */
import { purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import { type GoMod, needsGoSum } from './gomod.ts';
import type { GoBuildInfo, GoModule } from './modinfo.ts';
import { ldflagsVersion, pseudoVersion, toolchainVersion } from './versions.ts';

/** what Go records for code built from a directory rather than a module version */
export const DEVEL = '(devel)';

interface GoPackageFields {
  readonly name: string;
  readonly version: string;
  readonly root?: boolean;
  readonly direct?: boolean;
}

/** purl-spec "golang": the module path up to its last "/" is the namespace, the rest the name */
function goPurl(path: string, version: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1
    ? purl('golang', undefined, path, version)
    : purl('golang', path.slice(0, slash), path.slice(slash + 1), version);
}

function goPackage(fields: GoPackageFields, location: string): Package {
  return {
    type: 'golang',
    ecosystem: 'Go',
    name: fields.name,
    version: fields.version,
    ...(fields.root ? { root: true } : {}),
    ...(fields.direct !== undefined ? { direct: fields.direct } : {}),
    purl: goPurl(fields.name, fields.version),
    locations: [location],
  };
}

/** "./fork", "../x", "/src/x": a directory replacement (go.dev/ref/mod#go-mod-file-replace) */
function isDirectoryPath(path: string): boolean {
  return path.startsWith('./') || path.startsWith('../') || path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path);
}

/**
 * The module as built: a replacement by another module wins with its own path and version (as
 * Syft and osv-scalibr report it); a directory replacement keeps the module's path, versioned
 * "(devel)" as Go writes it, because the code is not the published version.
 */
function resolved(module: GoModule): { name: string; version: string } {
  const replace = module.replace;
  if (replace && isDirectoryPath(replace.path)) return { name: module.path, version: DEVEL };
  if (replace?.path) return { name: replace.path, version: replace.version || DEVEL };
  return { name: module.path, version: module.version || DEVEL };
}

/** the main module's version: as recorded, else stamped by -ldflags -X (Trivy), else the VCS pseudo-version (Syft) */
function mainVersion(info: GoBuildInfo, main: GoModule): string {
  const recorded = resolved(main).version;
  if (recorded !== DEVEL) return recorded;
  const ldflags = info.settings.find(([key]) => key === '-ldflags')?.[1];
  return (ldflags && ldflagsVersion(main.path, ldflags)) || pseudoVersion(info.settings) || DEVEL;
}

export function binaryPackages(goVersion: string, info: GoBuildInfo, location: string): Package[] {
  const packages: Package[] = [];
  const stdlib = toolchainVersion(goVersion);
  if (stdlib) packages.push(goPackage({ name: 'stdlib', version: stdlib }, location));
  // A binary built outside module mode (GOPATH, as Debian builds them) has no "mod" line: its main
  // package path names no module and carries no version, so no root package is reported (Trivy alike).
  if (info.main)
    packages.push(goPackage({ name: info.main.path, version: mainVersion(info, info.main), root: true }, location));
  const seen = new Set<string>();
  for (const dep of info.deps) {
    const { name, version } = resolved(dep);
    const key = `${name}@${version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    packages.push(goPackage({ name, version }, location));
  }
  return packages;
}

/**
 * go.mod requirements (after `replace`), direct unless marked `// indirect`; for go.mod files older
 * than Go 1.17, go.sum modules that go.mod does not list join as indirect. The main module has no
 * version in a source tree and is not reported.
 */
export function goModPackages(
  mod: GoMod,
  goSum: Map<string, string> | undefined,
  location: string,
  sumLocation?: string,
): Package[] {
  // cmd/go rejects a module replaced twice; here the last one wins
  const replaces = new Map(mod.replaces.map((r) => [`${r.oldPath}@${r.oldVersion ?? ''}`, r]));
  const asBuilt = (path: string, version: string) => {
    const r = replaces.get(`${path}@${version}`) ?? replaces.get(`${path}@`);
    return resolved({ path, version, ...(r ? { replace: { path: r.newPath, version: r.newVersion ?? '' } } : {}) });
  };
  const packages: Package[] = [];
  const listed = new Set<string>();
  for (const req of mod.requires) {
    listed.add(req.path);
    packages.push(goPackage({ ...asBuilt(req.path, req.version), direct: !req.indirect }, location));
  }
  if (goSum && needsGoSum(mod.goDirective)) {
    for (const [path, version] of goSum) {
      if (listed.has(path) || path === mod.module) continue;
      const pkg = goPackage({ ...asBuilt(path, version), direct: false }, location);
      packages.push(sumLocation ? { ...pkg, locations: [location, sumLocation] } : pkg);
    }
  }
  return packages;
}
