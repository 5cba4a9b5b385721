/**
 * Versions a Go binary states indirectly: the toolchain ("go1.21.3") as the `stdlib` version OSV's Go
 * advisories are written against, and the main module's version when `go build` left "(devel)".
 */

const TOOLCHAIN = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(beta|rc)(\d+))?(?=$|[\s+-])/;

/**
 * "go1.21.3" → "1.21.3", "go1.20" → "1.20.0", "go1.21rc2" → "1.21.0-rc.2", "go1.22.3 X:boringcrypto"
 * → "1.22.3": the tag-to-semver rule of golang.org/x/vuln (internal/semver GoTagToSemver), without
 * the "v", as OSV's `stdlib` ranges are written. Undefined for development toolchains ("devel go1.22-…").
 */
export function toolchainVersion(goVersion: string): string | undefined {
  const m = TOOLCHAIN.exec(goVersion.trim());
  if (!m) return undefined;
  const [, major, minor, patch, pre, preNumber] = m;
  const base = `${major}.${minor}.${patch ?? '0'}`;
  return pre ? `${base}-${pre}.${preNumber}` : base;
}

/** golang.org/x/mod/semver.IsValid, "v" optional as Trivy allows it for -X values */
const SEMVER = /^v?\d+(?:\.\d+(?:\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)?)?$/;
const DEFAULT_PREFIXES = new Set(['main', 'common', 'version', 'cmd']);

/** a shell-like split of the -ldflags value (single and double quotes, backslash escapes) */
function shellWords(s: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) word += s[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      word += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** `-X importpath.name=value` definitions in an -ldflags setting */
function xDefinitions(ldflags: string): Array<[string, string]> {
  const words = shellWords(ldflags);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    let def: string | undefined;
    if (w === '-X' || w === '--X') def = words[++i];
    else if (w.startsWith('-X=')) def = w.slice(3);
    else if (w.startsWith('--X=')) def = w.slice(4);
    const eq = def?.indexOf('=') ?? -1;
    if (def !== undefined && eq > 0)
      out.push([def.slice(0, eq).replace(/^'+/, ''), def.slice(eq + 1).replace(/'+$/, '')]);
  }
  return out;
}

/**
 * The version stamped with `-ldflags "-X …version=v1.2.3"`, chosen as Trivy does
 * (pkg/dependency/parser/golang/binary/parse.go ParseLDFlags): keys ending ".version" or ".ver" with
 * a semver value, preferring `<module>/cmd/…`, then the prefixes main/common/version/cmd, then any;
 * two candidates in the winning group mean no answer.
 */
export function ldflagsVersion(modulePath: string, ldflags: string): string | undefined {
  const groups: string[][] = [[], [], []];
  for (const [key, value] of xDefinitions(ldflags)) {
    const lower = key.toLowerCase();
    if (!(lower.endsWith('.version') || lower.endsWith('.ver')) || !SEMVER.test(value)) continue;
    const prefix = (key.slice(key.lastIndexOf('/') + 1).split('.')[0] ?? '').toLowerCase();
    const group = key.startsWith(`${modulePath}/cmd/`) ? 0 : DEFAULT_PREFIXES.has(prefix) ? 1 : 2;
    if (!groups[group]!.includes(value)) groups[group]!.push(value);
  }
  for (const found of groups) {
    if (found.length === 1) return found[0];
    if (found.length > 1) return undefined;
  }
  return undefined;
}

/**
 * The pseudo-version (golang.org/x/mod/module.PseudoVersion, "v0.0.0-yyyymmddhhmmss-abcdefabcdef") of
 * the commit recorded in vcs.revision/vcs.time, as Syft derives it for "(devel)" main modules; none
 * when the tree had local modifications, since the binary is then not that commit.
 */
export function pseudoVersion(settings: ReadonlyArray<readonly [string, string]>): string | undefined {
  const get = (key: string): string | undefined => settings.find(([k]) => k === key)?.[1];
  const revision = get('vcs.revision');
  const time = get('vcs.time');
  if (!revision || !time || get('vcs.modified') === 'true' || !/^[0-9a-f]{12,}$/.test(revision)) return undefined;
  const when = new Date(time);
  if (Number.isNaN(when.getTime())) return undefined;
  const stamp = when.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `v0.0.0-${stamp}-${revision.slice(0, 12)}`;
}
