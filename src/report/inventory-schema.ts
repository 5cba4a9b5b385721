import { z } from 'zod';
import type { Distro, Inventory, Package, Platform, Warning } from '../core/types.ts';

/**
 * The inventory JSON as Vigil writes it (core/types.ts `Inventory`, schemaVersion 1). The key order
 * here is the key order of the written file. Unknown keys are dropped on read.
 */
const platform = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
});

const layer = z.object({
  diffId: z.string(),
  digest: z.string(),
  size: z.number().int().nonnegative(),
  createdBy: z.string().optional(),
});

const distro = z.object({
  id: z.string().min(1),
  versionId: z.string().optional(),
  versionCodename: z.string().optional(),
  prettyName: z.string().optional(),
  idLike: z.array(z.string()).optional(),
  source: z.string(),
});

const pkg = z.object({
  type: z.string().min(1),
  name: z.string().min(1),
  version: z.string(),
  arch: z.string().optional(),
  sourceName: z.string().optional(),
  sourceVersion: z.string().optional(),
  epoch: z.number().int().nonnegative().optional(),
  release: z.string().optional(),
  modularityLabel: z.string().optional(),
  licenses: z.array(z.string()).optional(),
  maintainer: z.string().optional(),
  ecosystem: z.string().optional(),
  root: z.boolean().optional(),
  direct: z.boolean().optional(),
  dev: z.boolean().optional(),
  purl: z.string(),
  locations: z.array(z.string()),
  layerDiffId: z.string().optional(),
  layerIndex: z.number().int().nonnegative().optional(),
  files: z.array(z.string()).optional(),
});

const warning = z.object({
  path: z.string(),
  extractor: z.string().optional(),
  message: z.string(),
  layerDiffId: z.string().optional(),
});

export const inventorySchema = z.object({
  schemaVersion: z.literal(1),
  image: z.object({
    ref: z.string(),
    transport: z.enum(['registry', 'docker-archive', 'oci-archive', 'oci', 'dir']),
    manifestDigest: z.string(),
    configDigest: z.string(),
    platform,
    layers: z.array(layer),
    repoTags: z.array(z.string()).optional(),
  }),
  distro: distro.optional(),
  packages: z.array(pkg),
  warnings: z.array(warning),
  extractors: z.array(z.string()),
  createdAt: z.string(),
});

// Compile-time checks: parsed output is an Inventory, and no Inventory field is missing here
// (a missing one would be silently stripped when a file is read back).
type Parsed = z.infer<typeof inventorySchema>;
type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never] ? true : false;
const parsedIsInventory: (parsed: Parsed) => Inventory = (parsed) => parsed;
const sameKeys: [
  SameKeys<Inventory, Parsed>,
  SameKeys<Inventory['image'], Parsed['image']>,
  SameKeys<Inventory['image']['layers'][number], Parsed['image']['layers'][number]>,
  SameKeys<Platform, Parsed['image']['platform']>,
  SameKeys<Distro, NonNullable<Parsed['distro']>>,
  SameKeys<Package, Parsed['packages'][number]>,
  SameKeys<Warning, Parsed['warnings'][number]>,
] = [true, true, true, true, true, true, true];
void parsedIsInventory;
void sameKeys;
