/**
 * lang/dotnet: NuGet packages of .NET applications, after Trivy (pkg/dependency/parser/dotnet/
 * core_deps, pkg/dependency/parser/nuget/lock) and Syft (syft/pkg/cataloger/dotnet):
 * - `<app>.deps.json`, written by the SDK next to a published app (dotnet/runtime docs/design/
 *   features/host-probing, "deps.json"): `libraries` names every "package", "project" and
 *   "runtimepack" as "Name/Version"; `targets[runtimeTarget.name]` says which of them carry runtime
 *   assets and what each depends on.
 * - `packages.lock.json` (NuGet "lock file"): per target framework, each package with `type`
 *   Direct, Transitive or CentralTransitive and its `resolved` version; Project entries have no
 *   version and are skipped, as Trivy does.
 * Ecosystem "NuGet", purl pkg:nuget/Name@version.
 */
import { purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import { WarningLog } from '../../os/dpkg/text-lines.ts';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';

const DEPS = /(?:^|\/)[^/]+\.deps\.json$/;
const LOCKFILE = /(?:^|\/)packages\.lock\.json$/;
const MAX_BYTES = 32 * 1024 * 1024;
/** the SDK names the runtime bundled into a self-contained app "runtimepack.<runtime pack id>" */
const RUNTIME_PACK_PREFIX = 'runtimepack.';

type Json = unknown;
const isObject = (value: Json): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const entries = (value: Json): Array<[string, Json]> => (isObject(value) ? Object.entries(value) : []);

function nugetPackage(
  name: string,
  version: string,
  location: string,
  flags: Pick<Package, 'root' | 'direct'>,
): Package {
  return {
    type: 'nuget',
    ecosystem: 'NuGet',
    name,
    version,
    ...flags,
    purl: purl('nuget', undefined, name, version),
    locations: [location],
  };
}

const stripPack = (name: string): string =>
  name.startsWith(RUNTIME_PACK_PREFIX) ? name.slice(RUNTIME_PACK_PREFIX.length) : name;

/** "Name/1.2.3" → [Name, 1.2.3]; the version is everything after the first "/" */
function splitKey(key: string): [string, string] | undefined {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) return undefined;
  return [stripPack(key.slice(0, slash)), key.slice(slash + 1)];
}

function fromDeps(input: ExtractInput, document: Json): ExtractResult {
  if (!isObject(document) || !isObject(document.libraries)) {
    return { packages: [], warnings: [`${input.path}: no "libraries" object; not a .deps.json`] };
  }
  const warnings = new WarningLog();
  const runtimeTarget = isObject(document.runtimeTarget) ? document.runtimeTarget.name : undefined;
  const target =
    typeof runtimeTarget === 'string' && isObject(document.targets) ? document.targets[runtimeTarget] : undefined;
  // target entries keyed like the packages ("Name/version", runtime-pack prefix stripped)
  const targetLibs = new Map<string, Record<string, Json>>();
  for (const [key, lib] of entries(target)) {
    const split = splitKey(key);
    if (split && isObject(lib)) targetLibs.set(split.join('/'), lib);
  }
  const hasTarget = isObject(target);

  interface Library {
    readonly name: string;
    readonly version: string;
    readonly project: boolean;
  }
  const libraries: Library[] = [];
  for (const [key, library] of entries(document.libraries)) {
    const split = splitKey(key);
    const type = isObject(library) && typeof library.type === 'string' ? library.type.toLowerCase() : '';
    if (!split) {
      warnings.add(`${input.path}: library ${JSON.stringify(key.slice(0, 100))} is not "Name/Version"; skipped`);
      continue;
    }
    if (type !== 'package' && type !== 'project' && type !== 'runtimepack') continue;
    const targetLib = targetLibs.get(split.join('/'));
    // Compile-only packages (reference assemblies, meta-packages) put nothing on disk at run time:
    // an entry without runtime, runtimeTargets or native assets is skipped, as Trivy does. A
    // library missing from the target is kept rather than silently lost.
    if (hasTarget && targetLib && ['runtime', 'runtimeTargets', 'native'].every((k) => targetLib[k] == null)) continue;
    libraries.push({ name: split[0], version: split[1], project: type === 'project' });
  }

  // The root project is the one no other target entry depends on (Trivy's rootProject); its
  // dependencies are the direct ones. Every project is the application's own code: root.
  const referenced = new Set<string>();
  for (const lib of targetLibs.values()) {
    for (const [name, version] of entries(lib.dependencies)) {
      if (typeof version === 'string') referenced.add(`${stripPack(name)}/${version}`);
    }
  }
  const roots = libraries.filter((l) => l.project && !referenced.has(`${l.name}/${l.version}`));
  const rootLib = roots.length === 1 ? targetLibs.get(`${roots[0]!.name}/${roots[0]!.version}`) : undefined;
  const direct = new Set(
    entries(rootLib?.dependencies)
      .filter(([, version]) => typeof version === 'string')
      .map(([name, version]) => `${stripPack(name)}/${version as string}`),
  );

  const packages = libraries.map((lib) =>
    nugetPackage(
      lib.name,
      lib.version,
      input.path,
      lib.project ? { root: true } : direct.size > 0 ? { direct: direct.has(`${lib.name}/${lib.version}`) } : {},
    ),
  );
  return { packages, warnings: warnings.toArray() };
}

function fromLockfile(input: ExtractInput, document: Json): ExtractResult {
  if (!isObject(document) || !isObject(document.dependencies)) {
    return { packages: [], warnings: [`${input.path}: no "dependencies" object; not a packages.lock.json`] };
  }
  const warnings = new WarningLog();
  // one package per name@version across target frameworks; direct if direct in any of them
  const found = new Map<string, { name: string; version: string; direct: boolean }>();
  for (const [framework, packages] of entries(document.dependencies)) {
    for (const [name, dependency] of entries(packages)) {
      if (!isObject(dependency)) continue;
      const type = typeof dependency.type === 'string' ? dependency.type : '';
      if (type === 'Project') continue;
      const version = dependency.resolved;
      if (typeof version !== 'string' || version === '' || name === '') {
        warnings.add(
          `${input.path}: ${framework.slice(0, 100)} → ${name.slice(0, 100)} has no resolved version; skipped`,
        );
        continue;
      }
      const key = `${name}@${version}`;
      const seen = found.get(key);
      const isDirect = type === 'Direct';
      if (seen) seen.direct ||= isDirect;
      else found.set(key, { name, version, direct: isDirect });
    }
  }
  const packages = [...found.values()].map((p) => nugetPackage(p.name, p.version, input.path, { direct: p.direct }));
  return { packages, warnings: warnings.toArray() };
}

export const dotnetExtractor = {
  name: 'lang/dotnet',
  version: 1,

  required(path: string): boolean {
    return DEPS.test(path) || LOCKFILE.test(path);
  },

  async extract(input: ExtractInput): Promise<ExtractResult> {
    let document: Json;
    try {
      // the SDK writes a UTF-8 byte order mark on some platforms; JSON.parse rejects it
      document = JSON.parse((await input.read(MAX_BYTES)).toString('utf8').replace(/^\uFEFF/, ''));
    } catch (err) {
      return { packages: [], warnings: [`${input.path}: cannot be read as JSON: ${(err as Error).message}`] };
    }
    return LOCKFILE.test(input.path) ? fromLockfile(input, document) : fromDeps(input, document);
  },
} satisfies Extractor;
