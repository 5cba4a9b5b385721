import { purl } from '../core/purl.ts';
import type { Inventory } from '../core/types.ts';
import { formatPlatform, parseImageRef, registryDisplayName } from '../image/reference.ts';

interface ImageCoordinates {
  /** last repository path segment, the purl name */
  readonly name: string;
  /** registry host and repository, e.g. "docker.io/library/debian" */
  readonly repositoryUrl?: string;
  readonly tag?: string;
}

/**
 * The image as a package URL, per the purl spec's `oci` type
 * (pkg:oci/debian@sha256%3A...?arch=amd64&repository_url=docker.io/library/debian&tag=12), as Trivy
 * and Syft write it. Archives and directories have no repository: their repo tag, else the file
 * name, gives the name.
 */
export function imagePurl(inventory: Inventory): string | undefined {
  const coordinates = imageCoordinates(inventory);
  try {
    return purl('oci', undefined, coordinates.name, inventory.image.manifestDigest || undefined, {
      arch: inventory.image.platform.architecture,
      repository_url: coordinates.repositoryUrl,
      tag: coordinates.tag,
    });
  } catch {
    return undefined;
  }
}

export function imagePlatform(inventory: Inventory): string {
  return formatPlatform(inventory.image.platform);
}

function imageCoordinates(inventory: Inventory): ImageCoordinates {
  const { image } = inventory;
  const fromRegistry = registryCoordinates(image.ref) ?? registryCoordinates(image.repoTags?.[0]);
  if (fromRegistry) return fromRegistry;
  const path = image.ref.startsWith(`${image.transport}:`) ? image.ref.slice(image.transport.length + 1) : image.ref;
  // "/images/app.tar", "/layouts/app:v1", "Bad/Repo:tag@sha256:..." all name "app"-like last segments
  const last =
    (path.split('@')[0] ?? '')
      .split(/[/\\]/)
      .filter((part) => part !== '')
      .at(-1) ?? '';
  return { name: purlName(last.split(':')[0] ?? '') };
}

function registryCoordinates(ref: string | undefined): ImageCoordinates | undefined {
  if (ref === undefined) return undefined;
  try {
    const parsed = parseImageRef(ref);
    if (parsed.transport !== 'registry' || !parsed.registry || !parsed.repository) return undefined;
    return {
      name: purlName(parsed.repository.split('/').at(-1) ?? ''),
      repositoryUrl: `${registryDisplayName(parsed.registry)}/${parsed.repository}`,
      ...(parsed.tag ? { tag: parsed.tag } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The oci purl type wants a lowercase name; file names may hold anything. */
function purlName(candidate: string): string {
  const name = candidate
    .toLowerCase()
    .replace(/\.(tar|tgz|tar\.gz|oci)$/, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return name === '' ? 'image' : name;
}
