import { normalizePackageName } from '../core/ecosystem.ts';
import type { Finding } from '../core/types.ts';
import { referenceNamesImage } from './image-identity.ts';
import { parsePurl, purlMatches } from './purl-match.ts';
import { dropUnfixed, filterBySeverity } from './severity.ts';
import type { IgnoreRule, ImageIdentity, PolicyOptions, PolicyResult, Suppression, VexStatement } from './types.ts';

/**
 * Applies the scan policy to matched findings, in Trivy's order: `--severity`, then
 * `--ignore-unfixed`, then VEX statements, then the ignore file. Pure: the clock is `options.now`.
 */
export function applyPolicy(findings: readonly Finding[], options: PolicyOptions): PolicyResult {
  let remaining = [...findings];
  let severity = 0;
  let unfixed = 0;
  if (options.severities !== undefined) {
    const before = remaining.length;
    remaining = filterBySeverity(remaining, options.severities);
    severity = before - remaining.length;
  }
  if (options.ignoreUnfixed === true) {
    const before = remaining.length;
    remaining = dropUnfixed(remaining);
    unfixed = before - remaining.length;
  }

  const now = options.now.getTime();
  const rules = options.ignoreRules ?? [];
  const active = rules.filter((rule) => rule.expiresAt === undefined || rule.expiresAt.getTime() > now);
  const expiredRules = rules.filter((rule) => !active.includes(rule));
  const vex = indexByVulnerability(options.vexStatements ?? []);
  const image = options.image ?? { digests: [] };

  const kept: Finding[] = [];
  const suppressed: Suppression[] = [];
  for (const finding of remaining) {
    const suppression = vexSuppression(finding, vex, image) ?? ignoreSuppression(finding, active);
    if (suppression) suppressed.push(suppression);
    else kept.push(finding);
  }
  const notes = expiredRules.map(
    (rule) =>
      `ignore rule ${rule.id} (${rule.file}:${rule.line}) expired on ${rule.expiresAt!.toISOString().slice(0, 10)} and no longer suppresses anything`,
  );
  return { kept, suppressed, filtered: { severity, unfixed }, expiredRules, notes };
}

function vulnerabilityIds(finding: Finding): string[] {
  return [finding.id, ...finding.aliases].map((id) => id.toUpperCase());
}

function indexByVulnerability(
  statements: readonly VexStatement[],
): Map<string, Array<{ statement: VexStatement; order: number }>> {
  const index = new Map<string, Array<{ statement: VexStatement; order: number }>>();
  statements.forEach((statement, order) => {
    for (const name of new Set(statement.vulnerability.map((n) => n.toUpperCase()))) {
      const list = index.get(name) ?? [];
      list.push({ statement, order });
      index.set(name, list);
    }
  });
  return index;
}

/**
 * The latest statement that speaks about this finding decides (OpenVEX: later statements
 * supersede earlier ones for the same vulnerability and product); ties go to the one read last.
 * Only not_affected and fixed suppress; affected and under_investigation keep the finding.
 */
function vexSuppression(
  finding: Finding,
  index: ReadonlyMap<string, ReadonlyArray<{ statement: VexStatement; order: number }>>,
  image: ImageIdentity,
): Suppression | undefined {
  let winner: { statement: VexStatement; order: number } | undefined;
  for (const id of new Set(vulnerabilityIds(finding))) {
    for (const candidate of index.get(id) ?? []) {
      if (!statementCovers(candidate.statement, finding, image)) continue;
      if (winner === undefined || later(candidate, winner)) winner = candidate;
    }
  }
  if (winner === undefined) return undefined;
  const { statement } = winner;
  if (statement.status !== 'not_affected' && statement.status !== 'fixed') return undefined;
  const why = statement.justification ?? statement.detail;
  return {
    finding,
    by: 'vex',
    status: statement.status,
    reason: `${statement.status}${why ? `: ${why}` : ''} (${statement.file} ${statement.field})`,
    ...(statement.justification ? { justification: statement.justification } : {}),
    ...(statement.detail ? { detail: statement.detail } : {}),
    ...(statement.cyclonedxState ? { cyclonedxState: statement.cyclonedxState } : {}),
    source: `${statement.file} ${statement.field}`,
  };
}

function later(a: { statement: VexStatement; order: number }, b: { statement: VexStatement; order: number }): boolean {
  const ta = a.statement.timestamp?.getTime() ?? Number.NEGATIVE_INFINITY;
  const tb = b.statement.timestamp?.getTime() ?? Number.NEGATIVE_INFINITY;
  return ta > tb || (ta === tb && a.order > b.order);
}

const DIGEST = /^[a-z0-9]+:[a-f0-9]{32,}$/i;

/**
 * A product is either a package (its purl covers the finding's) or the image (an oci purl, a
 * digest or an image reference naming this image), in which case the statement covers every package of the image, or
 * only those its subcomponents name (OpenVEX §"Products and subcomponents").
 */
export function statementCovers(statement: VexStatement, finding: Finding, image: ImageIdentity): boolean {
  return statement.product.some((product) => {
    if (isImage(product, image)) {
      return (
        statement.subcomponents.length === 0 ||
        statement.subcomponents.some((component) => purlMatches(component, finding.package.purl))
      );
    }
    return (
      product.startsWith('pkg:') && parsePurl(product)?.type !== 'oci' && purlMatches(product, finding.package.purl)
    );
  });
}

function isImage(product: string, image: ImageIdentity): boolean {
  const digests = new Set(image.digests.map((d) => d.toLowerCase()));
  if (DIGEST.test(product)) return digests.has(product.toLowerCase());
  if (!product.startsWith('pkg:')) return referenceNamesImage(product, image);
  const parsed = parsePurl(product);
  if (parsed?.type !== 'oci') return false;
  if (parsed.version && digests.has(parsed.version.toLowerCase())) return true;
  return image.purl !== undefined && purlMatches(product, image.purl);
}

function ignoreSuppression(finding: Finding, rules: readonly IgnoreRule[]): Suppression | undefined {
  const ids = new Set(vulnerabilityIds(finding));
  const rule = rules.find((candidate) => ids.has(candidate.id.toUpperCase()) && ruleCovers(candidate, finding));
  if (rule === undefined) return undefined;
  const source = `${rule.file}:${rule.line}`;
  return {
    finding,
    by: 'ignore',
    status: 'ignored',
    reason: `ignored${rule.reason ? `: ${rule.reason}` : ''} (${source})`,
    ...(rule.reason ? { detail: rule.reason } : {}),
    source,
  };
}

/** Trivy's rule: each kind of limit given (purls, packages, paths) must match; within a kind, any one. */
function ruleCovers(rule: IgnoreRule, finding: Finding): boolean {
  const pkg = finding.package;
  if (rule.purls.length > 0 && !rule.purls.some((purl) => purlMatches(purl, pkg.purl))) return false;
  if (rule.packages.length > 0) {
    const name = normalizePackageName(pkg.ecosystem, pkg.name);
    if (!rule.packages.some((candidate) => normalizePackageName(pkg.ecosystem, candidate) === name)) return false;
  }
  if (rule.paths.length > 0) {
    const locations = new Set(pkg.locations.map((location) => location.replace(/^\/+/, '')));
    if (!rule.paths.some((path) => locations.has(path))) return false;
  }
  return true;
}
