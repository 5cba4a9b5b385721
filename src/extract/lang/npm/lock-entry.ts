/** What every lockfile parser returns: one entry per distinct name@version. */
export interface LockEntry {
  readonly name: string;
  readonly version: string;
  /** the application itself (a yarn workspace entry), reported when no package.json says so */
  readonly root?: boolean;
  /** a workspace member's folder relative to the lockfile: its own package.json reports it when present */
  readonly workspacePath?: string;
  direct?: boolean;
  dev?: boolean;
  licenses?: string[];
}

export interface LockParse {
  readonly entries: LockEntry[];
  readonly warnings: string[];
  /** package names to probe for an installed node_modules tree beside the lockfile */
  readonly topLevelNames: string[];
}

/**
 * Collects entries, merging repeats of one name@version: it is dev only when every copy is dev,
 * direct when any copy is direct (trivy's npm parser merges the same way).
 */
export class LockEntries {
  readonly #byKey = new Map<string, LockEntry>();

  add(entry: LockEntry): void {
    const key = `${entry.name}@${entry.version}`;
    const known = this.#byKey.get(key);
    if (!known) {
      this.#byKey.set(key, { ...entry });
      return;
    }
    if (entry.direct) known.direct = true;
    else if (known.direct === undefined && entry.direct !== undefined) known.direct = entry.direct;
    if (known.dev !== undefined || entry.dev !== undefined) known.dev = (known.dev ?? false) && (entry.dev ?? false);
    if (!known.licenses && entry.licenses) known.licenses = entry.licenses;
  }

  get size(): number {
    return this.#byKey.size;
  }

  list(): LockEntry[] {
    return [...this.#byKey.values()];
  }
}
