/**
 * go.mod and go.sum of a module source tree (The Go Programming Language Specification is silent;
 * the grammar is the "go.mod files" reference, https://go.dev/ref/mod#go-mod-file): `module`, `go`,
 * `require` and `replace` directives, single-line or in `( … )` blocks, `//` comments, and the
 * `// indirect` marker on requirements the main module does not import itself.
 */
import { go as goScheme } from '../../../versioning/go/index.ts';

export interface GoModRequire {
  readonly path: string;
  readonly version: string;
  readonly indirect: boolean;
}

export interface GoModReplace {
  readonly oldPath: string;
  /** only that version is replaced; every version when absent */
  readonly oldVersion?: string;
  readonly newPath: string;
  /** absent for a directory replacement ("=> ../fork") */
  readonly newVersion?: string;
}

export interface GoMod {
  readonly module?: string;
  /** the `go` directive, e.g. "1.21" */
  readonly goDirective?: string;
  readonly requires: GoModRequire[];
  readonly replaces: GoModReplace[];
  /** lines in require/replace that did not parse */
  readonly malformedLines: number[];
}

const MAX_ENTRIES = 100_000;

/** words of one line, quotes removed; `comment` is what follows "//" */
function tokens(line: string): { words: string[]; comment: string } {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (line.startsWith('//', i)) {
      return { words, comment: line.slice(i + 2).trim() };
    } else if (c === '"' || c === '`') {
      const end = line.indexOf(c, i + 1);
      words.push(line.slice(i + 1, end === -1 ? line.length : end));
      i = end === -1 ? line.length : end + 1;
    } else {
      let j = i;
      while (j < line.length && !' \t\r"`'.includes(line[j]!) && !line.startsWith('//', j)) j++;
      words.push(line.slice(i, j));
      i = j;
    }
  }
  return { words, comment: '' };
}

/** "indirect" or "indirect; for foo" after "//", as cmd/go's isIndirect reads it */
function isIndirect(comment: string): boolean {
  return comment === 'indirect' || comment.startsWith('indirect;');
}

export function parseGoMod(text: string): GoMod {
  let module: string | undefined;
  let goDirective: string | undefined;
  const requires: GoModRequire[] = [];
  const replaces: GoModReplace[] = [];
  const malformedLines: number[] = [];
  let block: string | undefined;

  const entry = (verb: string, args: string[], comment: string, lineNumber: number): void => {
    if (requires.length + replaces.length >= MAX_ENTRIES) return;
    if (verb === 'require') {
      const [path, version] = args;
      if (args.length !== 2 || !path || !version) malformedLines.push(lineNumber);
      else requires.push({ path, version, indirect: isIndirect(comment) });
    } else if (verb === 'replace') {
      const arrow = args.indexOf('=>');
      const left = args.slice(0, arrow);
      const right = args.slice(arrow + 1);
      if (arrow < 1 || left.length > 2 || right.length < 1 || right.length > 2) {
        malformedLines.push(lineNumber);
        return;
      }
      replaces.push({
        oldPath: left[0]!,
        ...(left[1] ? { oldVersion: left[1] } : {}),
        newPath: right[0]!,
        ...(right[1] ? { newVersion: right[1] } : {}),
      });
    }
  };

  text.split('\n').forEach((line, index) => {
    const lineNumber = index + 1;
    const { words, comment } = tokens(line);
    if (block !== undefined) {
      if (words[0] === ')') block = undefined;
      else if (words.length > 0) entry(block, words, comment, lineNumber);
      return;
    }
    const [verb, ...args] = words;
    if (verb === undefined) return;
    if (args.length === 1 && args[0] === '(') {
      block = verb;
    } else if (verb === 'module' && args[0]) {
      module = args[0];
    } else if (verb === 'go' && args[0]) {
      goDirective = args[0];
    } else {
      entry(verb, args, comment, lineNumber);
    }
  });
  return {
    ...(module !== undefined ? { module } : {}),
    ...(goDirective !== undefined ? { goDirective } : {}),
    requires,
    replaces,
    malformedLines,
  };
}

function newerGoVersion(a: string, b: string): boolean {
  try {
    return goScheme.compare(a, b) > 0;
  } catch {
    return false;
  }
}

/**
 * go.sum lines "<module> <version>[/go.mod] <hash>": the highest version of each module. go.sum
 * also lists versions the build no longer selects, so it is used only where go.mod itself is
 * incomplete (see `needsGoSum`).
 */
export function parseGoSum(text: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [path, rawVersion, hash] = line.trim().split(/\s+/);
    if (!path || !rawVersion || !hash || versions.size >= MAX_ENTRIES) continue;
    const version = rawVersion.endsWith('/go.mod') ? rawVersion.slice(0, -'/go.mod'.length) : rawVersion;
    const seen = versions.get(path);
    if (seen === undefined || newerGoVersion(version, seen)) versions.set(path, version);
  }
  return versions;
}

/**
 * Before Go 1.17 go.mod listed only direct requirements (module graph pruning, go.dev/ref/mod#graph-pruning,
 * made it list every module the build needs); for those, Trivy's gomod analyzer adds go.sum's modules
 * as indirect dependencies, and so do we.
 */
export function needsGoSum(goDirective: string | undefined): boolean {
  // a go.mod without the directive is read as "go 1.16" (go.dev/ref/mod#go-mod-file-go)
  if (goDirective === undefined) return true;
  const m = /^1\.(\d+)/.exec(goDirective);
  return m !== null && Number(m[1]) < 17;
}
