import { z } from 'zod';
import { fieldPath } from './openvex.ts';
import { parsePolicyDate, policyError } from './policy-text.ts';
import type { VexStatement, VexStatus } from './types.ts';

/**
 * CycloneDX VEX, spec versions 1.4 to 1.6 (https://cyclonedx.org/docs/1.6/json/#vulnerabilities):
 * each `vulnerabilities[]` entry with an `analysis` is a statement about the components its
 * `affects[].ref` name. A ref is a bom-ref of a component in the same document (resolved to that
 * component's purl), a BOM-Link "urn:cdx:<serial>/<version>#<bom-ref>" into the SBOM it speaks
 * about (the fragment is resolved the same way, and used as is when it is a purl, as Trivy's own
 * SBOMs use purls as bom-refs), or a purl. Entries without analysis state nothing and are skipped.
 * `affects[].versions` ranges are not evaluated: the ref's purl (with or without version) decides.
 */
const STATES = [
  'resolved',
  'resolved_with_pedigree',
  'exploitable',
  'in_triage',
  'false_positive',
  'not_affected',
] as const;
type CyclonedxState = (typeof STATES)[number];

/** Trivy's mapping (pkg/vex/cyclonedx.go): false_positive is a kind of not affected. */
const STATUS: Record<CyclonedxState, VexStatus> = {
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
  false_positive: 'not_affected',
  not_affected: 'not_affected',
};

/** Components are walked by hand, not by a recursive schema: nesting depth is the document's to choose. */
const components = z.array(z.unknown()).max(1_000_000);
const vulnerability = z.looseObject({
  id: z.string().min(1),
  references: z.array(z.looseObject({ id: z.string() })).optional(),
  published: z.string().optional(),
  updated: z.string().optional(),
  analysis: z
    .looseObject({
      state: z.enum(STATES).optional(),
      justification: z.string().optional(),
      detail: z.string().optional(),
      firstIssued: z.string().optional(),
      lastUpdated: z.string().optional(),
    })
    .optional(),
  affects: z
    .array(z.looseObject({ ref: z.string().min(1) }))
    .max(100_000)
    .optional(),
});
const bom = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.enum(['1.4', '1.5', '1.6']),
  metadata: z.looseObject({ timestamp: z.string().optional(), component: z.unknown().optional() }).optional(),
  components: components.optional(),
  vulnerabilities: z.array(vulnerability).max(100_000).optional(),
});

export function isCyclonedx(value: unknown): boolean {
  return (value as { bomFormat?: unknown } | null)?.bomFormat === 'CycloneDX';
}

export function parseCyclonedxVex(value: unknown, file: string): VexStatement[] {
  const result = bom.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw policyError(file, fieldPath(issue.path), issue.message);
  }
  const doc = result.data;
  const purlByRef = componentPurls([doc.metadata?.component, ...(doc.components ?? [])]);
  const docTime = parsePolicyDate(doc.metadata?.timestamp ?? '');

  const statements: VexStatement[] = [];
  (doc.vulnerabilities ?? []).forEach((entry, index) => {
    const state = entry.analysis?.state;
    if (state === undefined) return;
    const field = `vulnerabilities[${index}]`;
    const times = [entry.analysis?.lastUpdated, entry.analysis?.firstIssued, entry.updated, entry.published];
    const timestamp = times.map((t) => parsePolicyDate(t ?? '')).find((t) => t !== undefined) ?? docTime;
    const names = [...new Set([entry.id, ...(entry.references ?? []).map((r) => r.id)])];
    for (const [a, affect] of (entry.affects ?? []).entries()) {
      const product = resolveRef(affect.ref, purlByRef);
      if (product === undefined) {
        throw policyError(
          file,
          `${field}.affects[${a}].ref`,
          `"${affect.ref.slice(0, 80)}" names no component with a purl`,
        );
      }
      statements.push({
        vulnerability: names,
        product: [product],
        subcomponents: [],
        status: STATUS[state],
        ...(entry.analysis?.justification ? { justification: entry.analysis.justification } : {}),
        ...(entry.analysis?.detail ? { detail: entry.analysis.detail } : {}),
        cyclonedxState: state,
        ...(timestamp ? { timestamp } : {}),
        file,
        field,
      });
    }
  });
  return statements;
}

/** bom-ref to purl over every component at any depth; iterative, so hostile nesting cannot exhaust the stack. */
function componentPurls(roots: readonly unknown[]): Map<string, string> {
  const purlByRef = new Map<string, string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    const { 'bom-ref': ref, purl, components: children } = node as Record<string, unknown>;
    if (typeof ref === 'string' && typeof purl === 'string') purlByRef.set(ref, purl);
    if (Array.isArray(children)) for (const child of children) stack.push(child);
  }
  return purlByRef;
}

function resolveRef(ref: string, purlByRef: ReadonlyMap<string, string>): string | undefined {
  const direct = purlByRef.get(ref);
  if (direct) return direct;
  // BOM-Link, CycloneDX 1.5+: urn:cdx:serial-uuid/version#bom-ref (fragment percent-encoded)
  const hash = ref.startsWith('urn:cdx:') ? ref.indexOf('#') : -1;
  if (hash >= 0) {
    let fragment = ref.slice(hash + 1);
    try {
      fragment = decodeURIComponent(fragment);
    } catch {
      return undefined;
    }
    return purlByRef.get(fragment) ?? (fragment.startsWith('pkg:') ? fragment : undefined);
  }
  return ref.startsWith('pkg:') ? ref : undefined;
}
