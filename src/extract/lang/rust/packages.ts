/**
 * Rust crates as packages: OSV ecosystem "crates.io", purl pkg:cargo/<name>@<version>. The root
 * (the application itself) and direct dependencies are marked where the source says so.
 */
import { purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import type { AuditData } from './auditable.ts';
import { type LockedPackage, parseDependencyRef } from './cargo-lock.ts';

interface CrateFields {
  readonly name: string;
  readonly version: string;
  readonly root?: boolean;
  readonly direct?: boolean;
}

function crate(fields: CrateFields, location: string): Package {
  return {
    type: 'cargo',
    ecosystem: 'crates.io',
    name: fields.name,
    version: fields.version,
    ...(fields.root ? { root: true } : {}),
    ...(fields.direct !== undefined ? { direct: fields.direct } : {}),
    purl: purl('cargo', undefined, fields.name, fields.version),
    locations: [location],
  };
}

/**
 * The lockfile's root: the `[root]` table of old v1 files; else the source-less package named by
 * the Cargo.toml beside the lockfile; else the one source-less package nothing depends on. A
 * virtual workspace (several members, no root package) has none.
 */
function findRoot(packages: readonly LockedPackage[], manifestName: string | undefined): LockedPackage | undefined {
  const fromTable = packages.find((p) => p.fromRootTable);
  if (fromTable) return fromTable;
  const local = packages.filter((p) => p.source === undefined);
  if (manifestName !== undefined) return local.find((p) => p.name === manifestName);
  const required = new Set(packages.flatMap((p) => p.dependencies.map((d) => parseDependencyRef(d).name)));
  const tops = local.filter((p) => !required.has(p.name));
  return tops.length === 1 ? tops[0] : undefined;
}

export function lockfilePackages(
  packages: readonly LockedPackage[],
  manifestName: string | undefined,
  location: string,
): Package[] {
  const root = findRoot(packages, manifestName);
  const direct = new Set<LockedPackage>();
  if (root) {
    const byName = new Map<string, LockedPackage[]>();
    for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
    for (const ref of root.dependencies) {
      const { name, version } = parseDependencyRef(ref);
      const candidates = byName.get(name) ?? [];
      // a bare name is unambiguous by construction (encode.rs writes the version only when needed)
      const match =
        version === undefined
          ? candidates.length === 1
            ? candidates[0]
            : undefined
          : candidates.find((p) => p.version === version);
      if (match) direct.add(match);
    }
  }
  const out: Package[] = [];
  const seen = new Set<string>();
  for (const p of packages) {
    const key = `${p.name}@${p.version}@${p.source ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const flags = p === root ? { root: true } : root ? { direct: direct.has(p) } : {};
    out.push(crate({ name: p.name, version: p.version, ...flags }, location));
  }
  return out;
}

/**
 * Runtime crates of a cargo-auditable binary. Build-time crates (proc-macros, build scripts and
 * what only they use, `kind: "build"`) are not in the binary and are left out, as Trivy does; the
 * `root: true` package is the binary's own crate and its dependencies are the direct ones.
 */
export function auditPackages(data: AuditData, location: string): Package[] {
  const roots = data.packages.filter((p) => p.root);
  // PARSING.md: zero or several roots are possible in malformed data; then nothing is called direct
  const root = roots.length === 1 ? roots[0] : undefined;
  const direct = new Set(root?.dependencies ?? []);
  const out: Package[] = [];
  data.packages.forEach((p, index) => {
    if (p.kind === 'build') return;
    const flags = p === root ? { root: true } : root ? { direct: direct.has(index) } : {};
    out.push(crate({ name: p.name, version: p.version, ...flags }, location));
  });
  return out;
}
