import { describe, expect, it } from 'vitest';
import type { Inventory } from '../core/types.ts';
import { imagePurl } from './image-identity.ts';

const digest = `sha256:${'ab'.repeat(32)}`;
const inventory = (image: Partial<Inventory['image']>): Inventory => ({
  schemaVersion: 1,
  image: {
    ref: 'debian:12',
    transport: 'registry',
    manifestDigest: digest,
    configDigest: digest,
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    layers: [],
    ...image,
  },
  packages: [],
  warnings: [],
  extractors: [],
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('imagePurl', () => {
  it.each([
    [{ ref: 'debian:12' }, `pkg:oci/debian@${digest}?arch=arm64&repository_url=docker.io%2Flibrary%2Fdebian&tag=12`],
    // uppercase repository: not a valid reference, so no repository_url
    [{ ref: `ghcr.io/Acme/Tools/CLI:1@${digest}` }, `pkg:oci/cli@${digest}?arch=arm64`],
    [{ ref: 'oci:/data/layout:v1', transport: 'oci' as const }, `pkg:oci/layout@${digest}?arch=arm64`],
    [
      { ref: 'localhost:5000/team/app' },
      `pkg:oci/app@${digest}?arch=arm64&repository_url=localhost%3A5000%2Fteam%2Fapp&tag=latest`,
    ],
    [
      { ref: 'docker-archive:/tmp/My Image.tar', transport: 'docker-archive' as const },
      `pkg:oci/my-image@${digest}?arch=arm64`,
    ],
    [
      { ref: 'docker-archive:/tmp/x.tar', transport: 'docker-archive' as const, repoTags: ['quay.io/org/tool:2'] },
      `pkg:oci/tool@${digest}?arch=arm64&repository_url=quay.io%2Forg%2Ftool&tag=2`,
    ],
    [{ ref: 'dir:/', transport: 'dir' as const, manifestDigest: '' }, 'pkg:oci/image?arch=arm64'],
  ])('%j', (image, expected) => {
    expect(imagePurl(inventory(image))).toBe(expected);
  });
});
