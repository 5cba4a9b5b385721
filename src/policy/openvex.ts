import { z } from 'zod';
import { parsePolicyDate, policyError } from './policy-text.ts';
import type { VexStatement, VexStatus } from './types.ts';

/**
 * OpenVEX 0.2.0 (https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md). Each statement names
 * one vulnerability and one or more products; it is flattened here into one VexStatement per
 * product. Documents from the 0.0.x drafts, whose `vulnerability` is a bare string, read as well.
 */
const identifiers = z.looseObject({ purl: z.string().optional() }).optional();
const hashes = z.record(z.string(), z.string()).optional();
const component = z.looseObject({ '@id': z.string().optional(), identifiers, hashes });
// the 0.0.x drafts wrote products and subcomponents as bare IRI strings
const asComponent = (id: string) => ({ '@id': id });
const subcomponent = z.union([z.string().min(1).transform(asComponent), component]);
const product = z.union([
  z.string().min(1).transform(asComponent),
  z.looseObject({
    '@id': z.string().optional(),
    identifiers,
    hashes,
    subcomponents: z.array(subcomponent).max(100_000).optional(),
  }),
]);
const vulnerability = z.union([
  z.string().min(1),
  z.looseObject({
    '@id': z.string().optional(),
    name: z.string().min(1),
    aliases: z.array(z.string()).optional(),
  }),
]);
const statement = z.looseObject({
  vulnerability,
  timestamp: z.string().optional(),
  last_updated: z.string().optional(),
  products: z.array(product).max(100_000).optional(),
  // 0.0.x: subcomponents beside products, narrowing every one of them
  subcomponents: z.array(subcomponent).max(100_000).optional(),
  status: z.enum(['not_affected', 'affected', 'fixed', 'under_investigation']),
  status_notes: z.string().optional(),
  justification: z
    .enum([
      'component_not_present',
      'vulnerable_code_not_present',
      'vulnerable_code_not_in_execute_path',
      'vulnerable_code_cannot_be_controlled_by_adversary',
      'inline_mitigations_already_exist',
    ])
    .optional(),
  impact_statement: z.string().optional(),
});
const document = z.looseObject({
  '@context': z.string().startsWith('https://openvex.dev/ns'),
  timestamp: z.string().optional(),
  last_updated: z.string().optional(),
  statements: z.array(statement).max(100_000),
});

export function isOpenVex(value: unknown): boolean {
  const context = (value as { '@context'?: unknown } | null)?.['@context'];
  return typeof context === 'string' && context.startsWith('https://openvex.dev/ns');
}

export function parseOpenVex(value: unknown, file: string): VexStatement[] {
  const result = document.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw policyError(file, fieldPath(issue.path), issue.message);
  }
  const doc = result.data;
  const docTime =
    dateField(file, '', 'last_updated', doc.last_updated) ?? dateField(file, '', 'timestamp', doc.timestamp);
  const statements: VexStatement[] = [];
  doc.statements.forEach((entry, index) => {
    const field = `statements[${index}]`;
    // §Status: not_affected MUST carry a justification or an impact statement
    if (entry.status === 'not_affected' && entry.justification === undefined && entry.impact_statement === undefined) {
      throw policyError(file, field, 'status not_affected needs a justification or an impact_statement');
    }
    const names =
      typeof entry.vulnerability === 'string'
        ? [entry.vulnerability]
        : [entry.vulnerability.name, ...(entry.vulnerability.aliases ?? []), ...optional(entry.vulnerability['@id'])];
    const timestamp =
      dateField(file, field, 'last_updated', entry.last_updated) ??
      dateField(file, field, 'timestamp', entry.timestamp) ??
      docTime;
    const detail = entry.impact_statement ?? entry.status_notes;
    for (const [p, item] of (entry.products ?? []).entries()) {
      const ids = componentIds(item);
      if (ids.length === 0) throw policyError(file, `${field}.products[${p}]`, 'product has no @id, purl or hash');
      statements.push({
        vulnerability: [...new Set(names)],
        product: ids,
        subcomponents: [
          ...('subcomponents' in item ? (item.subcomponents ?? []) : []),
          ...(entry.subcomponents ?? []),
        ].flatMap(componentIds),
        status: entry.status satisfies VexStatus,
        ...(entry.justification ? { justification: entry.justification } : {}),
        ...(detail ? { detail } : {}),
        ...(timestamp ? { timestamp } : {}),
        file,
        field,
      });
    }
  });
  return statements;
}

/** @id, identifiers.purl and hashes ("sha-256": hex, OpenVEX's hash names) as "sha256:hex". */
function componentIds(item: z.infer<typeof component>): string[] {
  const hashIds = Object.entries(item.hashes ?? {}).map(
    ([algorithm, hex]) => `${algorithm.replace('-', '').toLowerCase()}:${hex.toLowerCase()}`,
  );
  return [...new Set([...optional(item['@id']), ...optional(item.identifiers?.purl), ...hashIds])];
}

function dateField(file: string, field: string, key: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = parsePolicyDate(text);
  if (date === undefined)
    throw policyError(file, field === '' ? key : `${field}.${key}`, `"${text.slice(0, 40)}" is not an RFC 3339 date`);
  return date;
}

function optional(text: string | undefined): string[] {
  return text === undefined || text === '' ? [] : [text];
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`),
    '',
  );
}
