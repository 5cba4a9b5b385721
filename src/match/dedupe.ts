import type { OsvRecordHead } from '../core/osv.ts';

/**
 * One vulnerability reported by several records (GHSA + PYSEC, DEBIAN-CVE + DSA, UBUNTU-CVE + USN,
 * an OSV record + a native-feed record) is one finding. Records are grouped by the closure of their
 * identities, computed with union-find so alias cycles (osv.dev's CYCLE-ROOT-* and ALIAS* test
 * records) end like any other link:
 * - `id` and `aliases` name the same vulnerability (OSV schema "aliases field");
 * - an `upstream` list with one entry names the record it is derived from (UBUNTU-CVE-2021-3782 ←
 *   CVE-2021-3782; USN-5614-1 ← UBUNTU-CVE-2021-3782), which is the same vulnerability;
 * - an `upstream` list with several entries is an advisory that fixes several vulnerabilities (a
 *   USN, a DSA): it joins, as an extra source, every group one of its upstream ids belongs to,
 *   without merging those groups; an advisory whose vulnerabilities no other record names stands
 *   on its own.
 * `related` never groups: the schema says related records are different vulnerabilities.
 */
export interface RecordGroup<T> {
  /** every identity of the vulnerability: record ids, aliases, single upstreams */
  readonly ids: ReadonlySet<string>;
  /** the records of the group (advisories that fold in included) */
  readonly members: readonly T[];
}

class UnionFind {
  readonly #parent = new Map<string, string>();

  find(x: string): string {
    let root = x;
    for (let next = this.#parent.get(root); next !== undefined && next !== root; next = this.#parent.get(root)) {
      root = next;
    }
    if (!this.#parent.has(x)) this.#parent.set(x, x);
    // path compression
    let node = x;
    while (node !== root) {
      const next = this.#parent.get(node) as string;
      this.#parent.set(node, root);
      node = next;
    }
    return root;
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // the smaller id becomes the root, so groups do not depend on the order records arrive in
    if (ra < rb) this.#parent.set(rb, ra);
    else if (rb < ra) this.#parent.set(ra, rb);
  }
}

/** the identities that make a record the same vulnerability as another */
export function identities(record: OsvRecordHead): string[] {
  const ids = record.aliases === undefined ? [record.id] : [record.id].concat(record.aliases);
  if (record.upstream?.length === 1) ids.push(record.upstream[0] as string);
  return ids;
}

function isAdvisory(record: OsvRecordHead): boolean {
  return (record.upstream?.length ?? 0) > 1;
}

export function groupByAlias<T>(items: readonly T[], recordOf: (item: T) => OsvRecordHead): RecordGroup<T>[] {
  // one record, one group, whatever it names (the common case, without the union-find)
  if (items.length === 1) {
    const item = items[0] as T;
    return [{ ids: new Set(identities(recordOf(item))), members: [item] }];
  }
  const uf = new UnionFind();
  const vulns: T[] = [];
  const advisories: T[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as T;
    const record = recordOf(item);
    const ids = identities(record);
    for (let d = 0; d < ids.length; d++) uf.union(record.id, ids[d] as string);
    (isAdvisory(record) ? advisories : vulns).push(item);
  }
  const byRoot = new Map<string, { ids: Set<string>; members: T[] }>();
  const groupOf = (id: string) => {
    const root = uf.find(id);
    let group = byRoot.get(root);
    if (group === undefined) {
      group = { ids: new Set(), members: [] };
      byRoot.set(root, group);
    }
    return group;
  };
  for (let v = 0; v < vulns.length; v++) {
    const item = vulns[v] as T;
    const record = recordOf(item);
    const group = groupOf(record.id);
    const ids = identities(record);
    for (let d = 0; d < ids.length; d++) group.ids.add(ids[d] as string);
    group.members.push(item);
  }
  // roots of groups that hold a vulnerability record, before advisories are placed
  const vulnRoots = new Set(byRoot.keys());
  for (const item of advisories) {
    const record = recordOf(item);
    const own = uf.find(record.id);
    const targets = new Set<string>();
    if (vulnRoots.has(own)) targets.add(own);
    for (const upstream of record.upstream ?? []) {
      const root = uf.find(upstream);
      if (vulnRoots.has(root)) targets.add(root);
    }
    if (targets.size === 0) targets.add(own);
    for (const root of targets) {
      const group = groupOf(root);
      if (root === own) for (const id of identities(record)) group.ids.add(id);
      else group.ids.add(record.id);
      group.members.push(item);
    }
  }
  return [...byRoot.values()];
}
