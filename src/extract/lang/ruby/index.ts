/**
 * lang/ruby: gems installed by RubyGems (`specifications/*.gemspec`, default gems in
 * `specifications/default/`) and gems locked by Bundler (`Gemfile.lock`, `gems.locked`), after
 * Syft (syft/pkg/cataloger/ruby) and Trivy (pkg/dependency/parser/ruby). Ecosystem "RubyGems",
 * purl pkg:gem/name@version (with `platform` for platform-specific locked gems).
 */
import { purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import { WarningLog } from '../../os/dpkg/text-lines.ts';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';
import { parseLockfile } from './gemfile-lock.ts';
import { parseGemspec } from './gemspec.ts';

const GEMSPEC = /(?:^|\/)specifications\/(?:default\/)?[^/]+\.gemspec$/;
const LOCKFILE = /(?:^|\/)(?:Gemfile\.lock|gems\.locked)$/;
/** a gemspec is a few KB and a lockfile rarely over 100 KB; past this, something is wrong */
const MAX_BYTES = 16 * 1024 * 1024;

function gemPackage(
  name: string,
  version: string,
  location: string,
  extra: Partial<Pick<Package, 'licenses' | 'direct' | 'root'>> & { platform?: string } = {},
): Package {
  const { platform, ...flags } = extra;
  return {
    type: 'gem',
    ecosystem: 'RubyGems',
    name,
    version,
    ...flags,
    purl: purl('gem', undefined, name, version, { platform }),
    locations: [location],
  };
}

function fromGemspec(input: ExtractInput, text: string): ExtractResult {
  const spec = parseGemspec(text);
  if (!spec.name || !spec.version) {
    const missing = [spec.name ? undefined : 'name', spec.version ? undefined : 'version']
      .filter(Boolean)
      .join(' and ');
    return { packages: [], warnings: [`${input.path}: no literal ${missing} in a Gem::Specification.new block`] };
  }
  const licenses = spec.licenses.length > 0 ? { licenses: spec.licenses } : {};
  return { packages: [gemPackage(spec.name, spec.version, input.path, licenses)], warnings: [] };
}

function fromLockfile(input: ExtractInput, text: string): ExtractResult {
  const warnings = new WarningLog();
  const lockfile = parseLockfile(text, (problem) => warnings.add(`${input.path}: ${problem}`));
  if (lockfile.sections === 0 && text.trim() !== '') {
    warnings.add(`${input.path}: no Bundler lockfile sections (GEM, DEPENDENCIES ...); not a lockfile`);
  }
  const packages: Package[] = [];
  // a gem locked for several platforms ("nokogiri (1.16.0)" and "(1.16.0-x86_64-linux)") is one install
  const seen = new Set<string>();
  for (const gem of lockfile.gems) {
    const key = `${gem.name}@${gem.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    packages.push(
      gemPackage(gem.name, gem.version, input.path, {
        // only a lockfile with a DEPENDENCIES section can say what is direct
        ...(lockfile.direct.size > 0 ? { direct: lockfile.direct.has(gem.name) } : {}),
        ...(gem.source === 'PATH' && gem.remote === '.' ? { root: true } : {}),
        ...(gem.platform ? { platform: gem.platform } : {}),
      }),
    );
  }
  return { packages, warnings: warnings.toArray() };
}

export const rubyExtractor = {
  name: 'lang/ruby',
  version: 1,

  required(path: string): boolean {
    return GEMSPEC.test(path) || LOCKFILE.test(path);
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    let text: string;
    try {
      text = (await input.read(MAX_BYTES)).toString('utf8');
    } catch (err) {
      return { packages: [], warnings: [`${input.path}: cannot be read: ${(err as Error).message}`] };
    }
    return input.path.endsWith('.gemspec') ? fromGemspec(input, text) : fromLockfile(input, text);
  },
} satisfies Extractor;
