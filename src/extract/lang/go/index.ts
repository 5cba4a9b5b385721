/**
 * lang/go: Go modules. In binaries (ELF, PE, Mach-O), the build info the linker embeds (see
 * buildinfo.ts): the main module, every dependency as built (replacements applied) and the
 * toolchain as `stdlib`. In source trees, `go.mod` (with `go.sum` for pre-1.17 modules). After
 * osv-scalibr extractor/filesystem/language/golang/{gobinary,gomod} and Trivy's gobinary/gomod
 * analyzers. A file that is not a Go binary is skipped quietly: most executables are not Go.
 */
import { posix } from 'node:path';
import type { Package } from '../../../core/types.ts';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';
import { BuildInfoError, readBuildInfo } from './buildinfo.ts';
import { ExecutableFormatError } from './executable.ts';
import { isExecutableCandidate, withFile } from './file-access.ts';
import { parseGoMod, parseGoSum } from './gomod.ts';
import { parseModinfo } from './modinfo.ts';
import { binaryPackages, goModPackages } from './packages.ts';

const MAX_GO_MOD_BYTES = 16 << 20;
/** module caches and vendor trees hold other modules' go.mod files, already listed by the main one */
const NOT_MAIN_MODULE = /(?:^|\/)(?:pkg\/mod|vendor)\//;

function isGoModFile(path: string, name: 'go.mod' | 'go.sum'): boolean {
  return (path === name || path.endsWith(`/${name}`)) && !NOT_MAIN_MODULE.test(path);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function extractBinary(input: ExtractInput): Promise<ExtractResult> {
  try {
    const result = await withFile(await input.localPath(), readBuildInfo);
    if (result.kind !== 'go') return { packages: [], warnings: [] };
    const info = parseModinfo(result.info.modinfo);
    const warnings =
      info.malformedLines > 0 ? [`Go build info: ${info.malformedLines} malformed module-info lines skipped`] : [];
    return { packages: binaryPackages(result.info.goVersion, info, input.path), warnings };
  } catch (err) {
    if (err instanceof BuildInfoError) return { packages: [], warnings: [`Go build info unreadable: ${err.message}`] };
    // headers that do not parse belong to no format we can call Go; debug/buildinfo says
    // "unrecognized file format" and scanners (Syft, Trivy) pass over such files in silence
    if (err instanceof ExecutableFormatError) return { packages: [], warnings: [] };
    return { packages: [], warnings: [`cannot read ${input.path}: ${errorMessage(err)}`] };
  }
}

async function extractGoMod(input: ExtractInput): Promise<ExtractResult> {
  const warnings: string[] = [];
  let text: string;
  try {
    text = (await input.read(MAX_GO_MOD_BYTES)).toString('utf8');
  } catch (err) {
    return { packages: [], warnings: [`cannot read ${input.path}: ${errorMessage(err)}`] };
  }
  const mod = parseGoMod(text);
  if (mod.malformedLines.length > 0)
    warnings.push(`go.mod: malformed lines ${mod.malformedLines.slice(0, 10).join(', ')}`);
  const sumPath = posix.join(posix.dirname(input.path), 'go.sum');
  let goSum: Map<string, string> | undefined;
  try {
    const sum = await input.fs.readFile(sumPath, MAX_GO_MOD_BYTES);
    if (sum) goSum = parseGoSum(sum.toString('utf8'));
  } catch (err) {
    warnings.push(`cannot read ${sumPath}: ${errorMessage(err)}`);
  }
  const packages: Package[] = goModPackages(mod, goSum, input.path, goSum ? sumPath : undefined);
  return { packages, warnings };
}

export const goExtractor = {
  name: 'lang/go',
  version: 1,

  required(path: string, size: number, mode: number): boolean {
    return isGoModFile(path, 'go.mod') || isExecutableCandidate(path, size, mode);
  },

  wants(path: string): boolean {
    return isGoModFile(path, 'go.sum');
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    return isGoModFile(input.path, 'go.mod') ? extractGoMod(input) : extractBinary(input);
  },
} satisfies Extractor;
