/**
 * Dev and direct flags from a lockfile's dependency graph: a package is dev when only the
 * application's devDependencies reach it, as npm's own `dev` flag is defined (npm docs,
 * package-lock.json "packages": "dev: a devDependency of the root, or only reachable through one").
 */

export interface GraphNode {
  /** ids of the packages this one depends on, already resolved */
  readonly dependsOn: readonly string[];
}

export interface GraphRoots {
  readonly prod: ReadonlySet<string>;
  readonly dev: ReadonlySet<string>;
}

export interface Flags {
  readonly direct: boolean;
  /** undefined when no root reaches the package */
  readonly dev: boolean | undefined;
}

function reach(graph: ReadonlyMap<string, GraphNode>, start: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const next of graph.get(id)?.dependsOn ?? []) if (!seen.has(next)) stack.push(next);
  }
  return seen;
}

/** Flags for every node; iterative so a deep or cyclic graph cannot overflow the stack. */
export function flagsFrom(graph: ReadonlyMap<string, GraphNode>, roots: GraphRoots): Map<string, Flags> {
  const prod = reach(graph, roots.prod);
  const dev = reach(graph, roots.dev);
  const out = new Map<string, Flags>();
  for (const id of graph.keys()) {
    const direct = roots.prod.has(id) || roots.dev.has(id);
    out.set(id, { direct, dev: prod.has(id) ? false : dev.has(id) ? true : undefined });
  }
  return out;
}
