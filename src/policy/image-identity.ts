import type { Inventory } from '../core/types.ts';
import { parseImageRef } from '../image/reference.ts';
import { imagePurl } from '../report/image-identity.ts';
import type { ImageIdentity } from './types.ts';

/** The ways a VEX statement may name the scanned image: its oci purl, its digests, its references. */
export function imageIdentity(inventory: Inventory, extraDigests: readonly string[] = []): ImageIdentity {
  const purl = imagePurl(inventory);
  const refs = [inventory.image.ref, ...(inventory.image.repoTags ?? [])].filter((ref) => ref !== '');
  return {
    ...(purl ? { purl } : {}),
    digests: [inventory.image.manifestDigest, ...extraDigests].filter((digest) => digest !== ''),
    refs: [...new Set(refs)],
  };
}

/**
 * Does a product written as an image reference ("ghcr.io/org/app:1.2", "alpine@sha256:...")
 * name this image? A digest decides when the reference has one; otherwise registry, repository
 * and tag must all be equal, after the reference grammar's normalisation ("alpine" is
 * "docker.io/library/alpine:latest").
 */
export function referenceNamesImage(product: string, image: ImageIdentity): boolean {
  const wanted = parseRegistryRef(product);
  if (wanted === undefined) return false;
  if (wanted.digest) return image.digests.some((digest) => digest.toLowerCase() === wanted.digest!.toLowerCase());
  return (image.refs ?? []).some((ref) => {
    const have = parseRegistryRef(ref);
    return (
      have !== undefined &&
      have.registry === wanted.registry &&
      have.repository === wanted.repository &&
      (have.tag ?? 'latest') === (wanted.tag ?? 'latest')
    );
  });
}

function parseRegistryRef(
  text: string,
): { registry?: string; repository?: string; tag?: string; digest?: string } | undefined {
  if (text.length > 1024) return undefined;
  try {
    const ref = parseImageRef(text);
    return ref.transport === 'registry' ? ref : undefined;
  } catch {
    return undefined;
  }
}
