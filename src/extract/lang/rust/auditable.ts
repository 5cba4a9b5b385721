/**
 * The dependency list cargo-auditable embeds in Rust binaries, read as its PARSING.md describes
 * (rust-secure-code/cargo-auditable): the `.dep-v0` section (ELF, PE; in the __DATA segment on
 * Mach-O) holds zlib-compressed JSON, `{"format"?: n, "packages": [{"name", "version", "source",
 * "kind"?: "build" | "runtime", "dependencies"?: [index…], "root"?: bool}]}` per
 * cargo-auditable.schema.json. Decompression is capped at 8 MiB, which PARSING.md calls "more than
 * enough to hold any legitimate audit data".
 */
import { inflateSync } from 'node:zlib';
import { z } from 'zod';
import { openExecutable } from '../go/executable.ts';
import type { RandomAccess } from '../go/file-access.ts';

export const SECTION = '.dep-v0';
export const MAX_JSON_BYTES = 8 << 20;
/** the compressed section cannot usefully be larger than what it inflates to */
const MAX_SECTION_BYTES = MAX_JSON_BYTES;
const MAX_PACKAGES = 100_000;

const packageSchema = z.object({
  name: z.string().min(1).max(1024),
  version: z.string().min(1).max(1024),
  // "crates.io", "git", "local", "registry", or another string (the schema's `Other`)
  source: z.union([z.string().max(4096), z.object({ Other: z.string().max(4096) }).transform((o) => o.Other)]),
  kind: z.enum(['build', 'runtime']).optional(),
  dependencies: z.array(z.number().int().nonnegative()).max(MAX_PACKAGES).optional(),
  root: z.boolean().optional(),
});

const auditSchema = z.object({
  format: z.number().int().nonnegative().optional(),
  packages: z.array(packageSchema).max(MAX_PACKAGES),
});

export type AuditData = z.infer<typeof auditSchema>;
export type AuditPackage = AuditData['packages'][number];

/** a `.dep-v0` section that cannot be read: a warning, unlike a binary that has none */
export class AuditDataError extends Error {}

export type AuditResult =
  | { readonly kind: 'not-executable' }
  | { readonly kind: 'none' }
  | { readonly kind: 'audit'; readonly data: AuditData };

export function decodeAuditData(compressed: Buffer): AuditData {
  let json: Buffer;
  try {
    json = inflateSync(compressed, { maxOutputLength: MAX_JSON_BYTES });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new AuditDataError(`${SECTION} inflates to more than ${MAX_JSON_BYTES} bytes`);
    throw new AuditDataError(`${SECTION} is not zlib data: ${(err as Error).message}`);
  }
  let document: unknown;
  try {
    // PARSING.md: well-formed audit data is UTF-8; rejecting anything else is valid
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (err) {
    throw new AuditDataError(`${SECTION} is not UTF-8 JSON: ${(err as Error).message}`);
  }
  const parsed = auditSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AuditDataError(
      `${SECTION} does not match the cargo-auditable schema at ${issue?.path.join('.') || '(top)'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** Reads the audit data of an executable; throws AuditDataError when the section is there but bad. */
export async function readAuditData(file: RandomAccess): Promise<AuditResult> {
  const exe = await openExecutable(file);
  if (!exe) return { kind: 'not-executable' };
  const section = exe.sections.find((s) => s.name === SECTION);
  if (!section) return { kind: 'none' };
  if (section.size === 0) throw new AuditDataError(`${SECTION} is empty`);
  if (section.size > MAX_SECTION_BYTES)
    throw new AuditDataError(`${SECTION} is ${section.size} bytes, over ${MAX_SECTION_BYTES}`);
  const compressed = await file.read(section.offset, section.size);
  if (compressed.length < section.size) throw new AuditDataError(`${SECTION} runs past the end of the file`);
  return { kind: 'audit', data: decodeAuditData(compressed) };
}
