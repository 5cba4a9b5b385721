/**
 * Bundler lockfiles (`Gemfile.lock`, `gems.locked`), after bundler lib/bundler/lockfile_parser.rb:
 * unindented section headers; in a source section (GEM, GIT, PATH, PLUGIN SOURCE) the "specs:"
 * list holds one gem per 4-space line, "name (version[-platform])", with its own requirements on
 * 6-space lines; DEPENDENCIES lists what the Gemfile asks for by name ("name (~> 1.0)", "name!"
 * when pinned to a GIT/PATH source).
 */

export interface LockedGem {
  readonly name: string;
  readonly version: string;
  /** "x86_64-linux" for a platform-specific gem */
  readonly platform?: string;
  /** the source section: GEM (a gem server), GIT, PATH, PLUGIN SOURCE */
  readonly source: string;
  /** the source's `remote:` ("." for a PATH source is the application itself) */
  readonly remote?: string;
  readonly line: number;
}

export interface Lockfile {
  readonly gems: LockedGem[];
  /** names listed under DEPENDENCIES */
  readonly direct: Set<string>;
  /** any recognised section at all: a file without one is not a lockfile */
  readonly sections: number;
}

const SOURCES = new Set(['GEM', 'GIT', 'PATH', 'PLUGIN SOURCE']);
const KNOWN = new Set([...SOURCES, 'PLATFORMS', 'DEPENDENCIES', 'RUBY VERSION', 'BUNDLED WITH', 'CHECKSUMS']);
// lockfile_parser.rb NAME_VERSION: the version runs to the first "-", the platform is the rest
const SPEC = /^ {4}(?! )(\S+) \(([^-)\s]+)(?:-([^)\s]+))?\)$/;
const DEPENDENCY = /^ {2}(?! )([^\s!(]+)/;

/** `onProblem` hears of each line that cannot be read, by number. */
export function parseLockfile(text: string, onProblem: (problem: string) => void = () => {}): Lockfile {
  const gems: LockedGem[] = [];
  const direct = new Set<string>();
  let section = '';
  let sections = 0;
  let remote: string | undefined;
  let inSpecs = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNumber = i + 1;
    if (line.trim() === '') continue;
    if (!line.startsWith(' ')) {
      section = line.trim();
      remote = undefined;
      inSpecs = false;
      if (KNOWN.has(section)) sections++;
      continue;
    }
    if (SOURCES.has(section)) {
      if (line.startsWith('  remote: ')) remote = line.slice('  remote: '.length).trim();
      else if (line === '  specs:') inSpecs = true;
      else if (inSpecs && line.startsWith('    ') && !line.startsWith('     ')) {
        const spec = SPEC.exec(line);
        if (!spec) {
          onProblem(`line ${lineNumber}: not a "name (version)" spec`);
          continue;
        }
        gems.push({
          name: spec[1]!,
          version: spec[2]!,
          ...(spec[3] ? { platform: spec[3] } : {}),
          source: section,
          ...(remote !== undefined ? { remote } : {}),
          line: lineNumber,
        });
      }
    } else if (section === 'DEPENDENCIES') {
      const dependency = DEPENDENCY.exec(line);
      if (dependency) direct.add(dependency[1]!);
    }
  }
  return { gems, direct, sections };
}
