import type { Distro, Inventory, Package, Transport, Warning } from '../../core/types.ts';
import { parsePurl } from '../../policy/purl-match.ts';
import { MAX_COMPONENTS, sbomError } from './limits.ts';
import { type ComponentFacts, distroFromPurls, packageFromComponent } from './package-from-purl.ts';

/**
 * CycloneDX JSON 1.4-1.6 (https://cyclonedx.org/docs/1.6/json/) as Vigil, Trivy and Syft write it:
 * the image is `metadata.component`, the distro an `operating-system` component, packages every
 * other component with a purl at any depth (nested `components` too). Properties carry what the
 * core fields cannot: Vigil's `vigil:*` names (cyclonedx-format.ts), Trivy's
 * `aquasecurity:trivy:*` (SrcName, SrcVersion, SrcRelease, SrcEpoch, LayerDiffID, FilePath) and
 * Syft's `syft:*` (location paths and layer ids, metadata source fields).
 */
export function inventoryFromCyclonedx(document: Record<string, unknown>, name: string): Inventory {
  const specVersion = String(document.specVersion ?? '');
  if (!/^1\.[4-6]$/.test(specVersion))
    throw sbomError(name, `CycloneDX specVersion "${specVersion.slice(0, 10)}" is not 1.4, 1.5 or 1.6`);
  const metadata = record(document.metadata);
  const root = record(metadata.component);
  const rootProps = properties(root);
  const warnings: Warning[] = [];

  const diffIds = [
    ...(rootProps.get('vigil:image:layer-diffId') ?? []),
    ...(rootProps.get('aquasecurity:trivy:DiffID') ?? []),
  ];
  const layers = [...new Set(diffIds)].map((diffId) => ({ diffId, digest: '', size: 0 }));
  let distro: Distro | undefined;
  const packages: Package[] = [];
  const stack: unknown[] = Array.isArray(document.components) ? [...document.components].reverse() : [];
  let seen = 0;
  // iterative depth-first walk in document order: nesting depth is the document's to choose
  while (stack.length > 0) {
    const component = record(stack.pop());
    if (++seen > MAX_COMPONENTS) throw sbomError(name, `more than ${MAX_COMPONENTS} components`);
    if (Array.isArray(component.components)) stack.push(...[...component.components].reverse());
    const type = component.type;
    if (type === 'operating-system') {
      distro ??= osDistro(component);
      continue;
    }
    if (type === 'container' || type === 'file') continue;
    const pkg = componentPackage(component, diffIds);
    if (pkg) packages.push(pkg);
    else if (typeof component.name === 'string' && warnings.length < 100) {
      warnings.push({
        path: '',
        extractor: 'sbom/cyclonedx',
        message: `component "${component.name.slice(0, 100)}" has no purl; skipped`,
      });
    }
  }
  distro ??= distroFromPurls(
    packages.map((p) => p.purl),
    'purl distro qualifier',
  );

  const rootPurl = typeof root.purl === 'string' ? root.purl : undefined;
  const ociPurl = rootPurl ? parsePurl(rootPurl) : undefined;
  const repoDigest = first(rootProps, 'aquasecurity:trivy:RepoDigest')?.split('@')[1];
  const version = typeof root.version === 'string' ? root.version : '';
  const platform = first(rootProps, 'vigil:image:platform')?.split('/') ?? ['', ociPurl?.qualifiers?.arch ?? ''];
  const repoTags = [
    ...(rootProps.get('vigil:image:repo-tag') ?? []),
    ...(rootProps.get('aquasecurity:trivy:RepoTag') ?? []),
  ];
  return {
    schemaVersion: 1,
    image: {
      ref: typeof root.name === 'string' && root.name !== '' ? root.name : name,
      transport: transportOf(first(rootProps, 'vigil:image:transport'), root.type),
      manifestDigest: (version.startsWith('sha256:') ? version : undefined) ?? repoDigest ?? ociPurl?.version ?? '',
      configDigest:
        first(rootProps, 'vigil:image:config-digest') ?? first(rootProps, 'aquasecurity:trivy:ImageID') ?? '',
      platform: {
        os: platform[0] ?? '',
        architecture: platform[1] ?? '',
        ...(platform[2] ? { variant: platform[2] } : {}),
      },
      layers,
      ...(repoTags.length > 0 ? { repoTags: [...new Set(repoTags)] } : {}),
    },
    ...(distro ? { distro } : {}),
    packages,
    warnings,
    extractors: [`sbom/cyclonedx-${specVersion}`],
    createdAt: typeof metadata.timestamp === 'string' ? metadata.timestamp : '',
  };
}

const TRANSPORTS: readonly Transport[] = ['registry', 'docker-archive', 'oci-archive', 'oci', 'dir'];

function transportOf(written: string | undefined, type: unknown): Transport {
  const known = TRANSPORTS.find((t) => t === written);
  if (known) return known;
  return type === 'container' ? 'registry' : 'dir';
}

function osDistro(component: Record<string, unknown>): Distro | undefined {
  if (typeof component.name !== 'string' || component.name === '') return undefined;
  const props = properties(component);
  const codename = first(props, 'vigil:distro:codename');
  return {
    id: component.name.toLowerCase(),
    ...(typeof component.version === 'string' && component.version !== '' ? { versionId: component.version } : {}),
    ...(codename ? { versionCodename: codename } : {}),
    ...(typeof component.description === 'string' ? { prettyName: component.description } : {}),
    ...(props.has('vigil:distro:id-like') ? { idLike: props.get('vigil:distro:id-like')! } : {}),
    source: first(props, 'vigil:distro:source') ?? 'SBOM operating-system component',
  };
}

function componentPackage(component: Record<string, unknown>, diffIds: readonly string[]): Package | undefined {
  const purl = typeof component.purl === 'string' ? component.purl : undefined;
  const props = properties(component);
  const vigilType = first(props, 'vigil:package:type');
  if (purl === undefined && vigilType === undefined) return undefined;
  const name = typeof component.name === 'string' ? component.name : '';
  if (name === '' && purl === undefined) return undefined;
  const layerDiffId =
    first(props, 'vigil:layer:diffId') ??
    first(props, 'aquasecurity:trivy:LayerDiffID') ??
    first(props, 'syft:location:0:layerID');
  const indexText = first(props, 'vigil:layer:index');
  const layerIndex = indexText !== undefined ? Number(indexText) : layerDiffId ? diffIds.indexOf(layerDiffId) : -1;
  const epochText = first(props, 'vigil:rpm:epoch');
  const facts: ComponentFacts = {
    name,
    ...(typeof component.version === 'string' ? { version: component.version } : {}),
    purl: purl ?? '',
    vigil: vigilType !== undefined,
    ...(vigilType ? { type: vigilType } : {}),
    ...optional('arch', first(props, 'vigil:package:arch')),
    ...optional(
      'sourceName',
      first(props, 'vigil:package:source-name') ??
        first(props, 'aquasecurity:trivy:SrcName') ??
        first(props, 'syft:metadata:source') ??
        first(props, 'syft:metadata:originPackage'),
    ),
    ...optional(
      'sourceVersion',
      first(props, 'vigil:package:source-version') ??
        trivySourceVersion(props) ??
        first(props, 'syft:metadata:sourceVersion'),
    ),
    ...(epochText !== undefined && /^\d+$/.test(epochText) ? { epoch: Number(epochText) } : {}),
    ...optional('modularityLabel', first(props, 'vigil:rpm:modularity-label')),
    licenses: licensesOf(component.licenses),
    ...optional('maintainer', typeof component.publisher === 'string' ? component.publisher : undefined),
    locations: [
      ...(props.get('vigil:package:location') ?? []),
      ...(props.get('aquasecurity:trivy:FilePath') ?? []),
      ...(props.get('syft:location:0:path') ?? []).map((path) => path.replace(/^\/+/, '')),
    ],
    ...optional('layerDiffId', layerDiffId),
    ...(Number.isInteger(layerIndex) && layerIndex >= 0 ? { layerIndex } : {}),
    files: props.get('vigil:package:file') ?? [],
  };
  return packageFromComponent(facts);
}

/** Trivy splits the source version: SrcEpoch, SrcVersion, SrcRelease ([epoch:]version[-release]). */
function trivySourceVersion(props: ReadonlyMap<string, string[]>): string | undefined {
  const version = first(props, 'aquasecurity:trivy:SrcVersion');
  if (version === undefined) return undefined;
  const epoch = first(props, 'aquasecurity:trivy:SrcEpoch');
  const release = first(props, 'aquasecurity:trivy:SrcRelease');
  return `${epoch && epoch !== '0' ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`;
}

function licensesOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((choice) => {
    const entry = record(choice);
    if (typeof entry.expression === 'string') return [entry.expression];
    const license = record(entry.license);
    const text = typeof license.id === 'string' ? license.id : license.name;
    return typeof text === 'string' ? [text] : [];
  });
}

function properties(component: Record<string, unknown>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  if (!Array.isArray(component.properties)) return map;
  for (const property of component.properties) {
    const { name, value } = record(property);
    if (typeof name !== 'string' || typeof value !== 'string') continue;
    const list = map.get(name) ?? [];
    list.push(value);
    map.set(name, list);
  }
  return map;
}

function first(props: ReadonlyMap<string, string[]>, name: string): string | undefined {
  return props.get(name)?.[0];
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: string };
}

export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
