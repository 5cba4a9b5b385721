import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { checkPolicySize, parsePolicyDate, policyError } from './policy-text.ts';
import { parsePurl } from './purl-match.ts';
import type { IgnoreRule } from './types.ts';

/**
 * Reads an `--ignore-file`. Two formats, chosen by file name as Trivy chooses them:
 * - `*.yaml` / `*.yml`: Trivy's `.trivyignore.yaml`
 *   (https://trivy.dev/latest/docs/configuration/filtering/#trivyignoreyaml): a `vulnerabilities`
 *   list of `{id, purls?, paths?, statement?, expired_at?}`, plus Vigil's `packages` (names) and
 *   `reason` (a synonym of `statement`). Trivy's other sections (misconfigurations, secrets,
 *   licenses) are accepted and not used. An unknown key in an entry is an error, because a
 *   misspelt `expired_at` would otherwise make a temporary exception permanent.
 * - anything else: the plain `.trivyignore` form, one id per line, `#` starts a comment, and an
 *   optional `exp:YYYY-MM-DD` after the id.
 * Errors are VIGIL_POLICY_INVALID naming the file and line.
 */
export function parseIgnoreFile(text: string, file: string): IgnoreRule[] {
  checkPolicySize(text, file);
  return /\.ya?ml$/i.test(file) ? parseYamlIgnore(text, file) : parsePlainIgnore(text, file);
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export function parsePlainIgnore(text: string, file: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = (raw.split('#', 1)[0] ?? '').trim();
    if (content === '') return;
    const [id, ...rest] = content.split(/\s+/);
    if (id === undefined || !ID.test(id))
      throw policyError(file, String(line), `"${shorten(id ?? '')}" is not a vulnerability id`);
    let expiresAt: Date | undefined;
    for (const token of rest) {
      if (!token.startsWith('exp:')) {
        throw policyError(
          file,
          String(line),
          `unexpected "${shorten(token)}" after the id (only exp:YYYY-MM-DD may follow)`,
        );
      }
      expiresAt = parsePolicyDate(token.slice(4));
      if (expiresAt === undefined) throw policyError(file, String(line), `"${shorten(token)}" is not exp:YYYY-MM-DD`);
    }
    rules.push({ id, purls: [], packages: [], paths: [], ...(expiresAt ? { expiresAt } : {}), file, line });
  });
  return rules;
}

const stringList = z.array(z.string().min(1)).max(10_000);
const purlList = z.array(z.string().refine((text) => parsePurl(text) !== undefined, 'not a package URL')).max(10_000);
const entrySchema = z.strictObject({
  id: z.string().regex(ID, 'not a vulnerability id'),
  purls: purlList.optional(),
  packages: stringList.optional(),
  paths: stringList.optional(),
  statement: z.string().optional(),
  reason: z.string().optional(),
  expired_at: z.union([z.string(), z.date()]).optional(),
});
const ignoreFileSchema = z.strictObject({
  vulnerabilities: z.array(entrySchema).nullable().optional(),
  misconfigurations: z.unknown().optional(),
  secrets: z.unknown().optional(),
  licenses: z.unknown().optional(),
});

export function parseYamlIgnore(text: string, file: string): IgnoreRule[] {
  const lineCounter = new LineCounter();
  // maxAliasCount bounds "billion laughs" alias expansion; uniqueKeys rejects a repeated id key
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  const first = document.errors[0];
  if (first) throw policyError(file, String(lineOf(first.pos[0])), `not YAML: ${first.message.split('\n')[0]}`);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw policyError(file, '', `cannot be read: ${(err as Error).message}`, err);
  }
  if (value === null || value === undefined) return [];
  const result = ignoreFileSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map((key) => (typeof key === 'number' ? key : String(key)));
    // an unrecognised key is reported on the entry that holds it, the closest node the YAML has
    const node = document.getIn(path, true) ?? document.getIn(path.slice(0, -1), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    throw policyError(file, String(lineOf(range?.[0])), `${path.join('.') || '(root)'}: ${issue.message}${keys}`);
  }
  return (result.data.vulnerabilities ?? []).map((entry, index) => {
    const node = document.getIn(['vulnerabilities', index], true) as { range?: [number, number, number] } | undefined;
    const line = lineOf(node?.range?.[0]);
    let expiresAt: Date | undefined;
    if (entry.expired_at !== undefined) {
      expiresAt = entry.expired_at instanceof Date ? entry.expired_at : parsePolicyDate(entry.expired_at);
      if (expiresAt === undefined) {
        throw policyError(
          file,
          String(line),
          `vulnerabilities.${index}.expired_at: "${shorten(String(entry.expired_at))}" is not YYYY-MM-DD`,
        );
      }
    }
    const reason = entry.statement ?? entry.reason;
    return {
      id: entry.id,
      purls: entry.purls ?? [],
      packages: entry.packages ?? [],
      paths: (entry.paths ?? []).map((path) => path.replace(/^\/+/, '')),
      ...(reason !== undefined ? { reason } : {}),
      ...(expiresAt ? { expiresAt } : {}),
      file,
      line,
    };
  });
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
