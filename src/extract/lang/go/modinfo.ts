/**
 * The module-info text of a Go binary, as runtime/debug.ParseBuildInfo (src/runtime/debug/mod.go)
 * reads it: tab-separated lines
 *
 *   path  <main package path>
 *   mod   <main module path> <version> [<sum>]
 *   dep   <module path> <version> [<sum>]
 *   =>    <replacement path> <version> <sum>     (replaces the module on the line before)
 *   build <key>=<value>                           (key and value quoted when they need it)
 *
 * Unlike ParseBuildInfo, one malformed line does not lose the rest: it is counted and skipped.
 */

export interface GoModule {
  readonly path: string;
  readonly version: string;
  readonly sum?: string;
  readonly replace?: { readonly path: string; readonly version: string; readonly sum?: string };
}

export interface GoBuildInfo {
  /** the main package path ("path" line) */
  readonly path?: string;
  /** the main module ("mod" line); absent for binaries built outside module mode (GOPATH) */
  readonly main?: GoModule;
  readonly deps: GoModule[];
  /** "build" lines in order: -ldflags, CGO_ENABLED, GOOS, vcs.revision, vcs.time, vcs.modified ... */
  readonly settings: ReadonlyArray<readonly [string, string]>;
  /** lines that did not fit the format */
  readonly malformedLines: number;
}

const MAX_DEPS = 100_000;
const MAX_SETTINGS = 10_000;

/** strconv.Unquote for the double-quoted strings strconv.Quote writes; undefined when not one */
function unquote(s: string): string | undefined {
  if (s.length < 2 || !s.startsWith('"') || !s.endsWith('"')) return undefined;
  try {
    const value: unknown = JSON.parse(s.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1'));
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** "key=value" with either side possibly quoted (debug.BuildInfo.String quotes keys and values containing " =\t\r\n`) */
function parseSetting(text: string): readonly [string, string] | undefined {
  let key: string;
  let rest: string;
  if (text.startsWith('"')) {
    const close = /^"(?:[^"\\]|\\.)*"/.exec(text);
    if (!close) return undefined;
    const k = unquote(close[0]);
    if (k === undefined || text[close[0].length] !== '=') return undefined;
    key = k;
    rest = text.slice(close[0].length + 1);
  } else {
    const eq = text.indexOf('=');
    if (eq <= 0) return undefined;
    key = text.slice(0, eq);
    rest = text.slice(eq + 1);
  }
  const value = rest.startsWith('"') ? unquote(rest) : rest;
  return value === undefined ? undefined : [key, value];
}

function moduleOf(columns: string[], needSum: boolean): GoModule | undefined {
  if (columns.length !== 3 && (needSum || columns.length !== 2)) return undefined;
  const [path, version, sum] = columns as [string, string, string | undefined];
  if (path === '') return undefined;
  return { path, version, ...(sum ? { sum } : {}) };
}

export function parseModinfo(text: string): GoBuildInfo {
  let path: string | undefined;
  let main: GoModule | undefined;
  const deps: GoModule[] = [];
  const settings: Array<readonly [string, string]> = [];
  let malformedLines = 0;
  // the module the next "=>" line replaces: the main module or the last dep
  let last: { replaceable: 'main' } | { replaceable: 'dep'; index: number } | undefined;

  for (const line of text.split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    const kind = tab === -1 ? line : line.slice(0, tab);
    const columns = tab === -1 ? [] : line.slice(tab + 1).split('\t');
    switch (kind) {
      case 'go':
        // written by debug.BuildInfo.String, not by the linker; the toolchain version comes from the header
        last = undefined;
        break;
      case 'path':
        path = columns.join('\t');
        last = undefined;
        break;
      case 'mod': {
        const module = moduleOf(columns, false);
        if (!module) {
          malformedLines++;
          last = undefined;
          break;
        }
        main = module;
        last = { replaceable: 'main' };
        break;
      }
      case 'dep': {
        // Trivy: binaries of old Go versions may list the main module as a dep with no path; not an error
        if (columns[0] === '') {
          last = undefined;
          break;
        }
        const module = moduleOf(columns, false);
        if (!module || deps.length >= MAX_DEPS) {
          malformedLines++;
          last = undefined;
          break;
        }
        deps.push(module);
        last = { replaceable: 'dep', index: deps.length - 1 };
        break;
      }
      case '=>': {
        const replacement = moduleOf(columns, true);
        if (!replacement || !last) {
          malformedLines++;
          break;
        }
        const replace = {
          path: replacement.path,
          version: replacement.version,
          ...(replacement.sum ? { sum: replacement.sum } : {}),
        };
        if (last.replaceable === 'main' && main) main = { ...main, replace };
        else if (last.replaceable === 'dep') deps[last.index] = { ...deps[last.index]!, replace };
        last = undefined;
        break;
      }
      case 'build': {
        const setting = parseSetting(columns.join('\t'));
        if (setting && settings.length < MAX_SETTINGS) settings.push(setting);
        else malformedLines++;
        last = undefined;
        break;
      }
      default:
        malformedLines++;
        last = undefined;
    }
  }
  return { ...(path !== undefined ? { path } : {}), ...(main ? { main } : {}), deps, settings, malformedLines };
}
