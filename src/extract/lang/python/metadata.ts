/**
 * Core metadata (PyPA "Core metadata specifications"): METADATA in a .dist-info, PKG-INFO in an
 * .egg-info. RFC 822 headers up to the first blank line; a line starting with whitespace continues
 * the previous field; field names compare case-insensitively; the body after is the description.
 */

export interface CoreMetadata {
  readonly name?: string;
  readonly version?: string;
  readonly licenses: string[];
}

const MAX_HEADER_LINES = 100_000;

function parseHeaders(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let last: string[] | undefined;
  let lines = 0;
  let start = 0;
  while (start <= text.length && lines++ < MAX_HEADER_LINES) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (line.trim() === '') break;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last && last.length > 0) last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const values = fields.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    fields.set(key, values);
    last = values;
  }
  return fields;
}

/**
 * License-Expression (metadata 2.4, SPDX) first; then the Trove classifiers' last part ("License ::
 * OSI Approved :: MIT License" → "MIT License", the bare "OSI Approved" naming none); then License
 * when it is a name rather than the whole license text or "UNKNOWN". Trivy's packaging parser
 * chooses in this order.
 */
function licensesOf(fields: Map<string, string[]>): string[] {
  const expression = fields.get('license-expression')?.[0];
  if (expression) return [expression];
  const fromClassifiers: string[] = [];
  for (const classifier of fields.get('classifier') ?? []) {
    const parts = classifier.split('::').map((part) => part.trim());
    const last = parts[parts.length - 1]!;
    if (parts[0] === 'License' && parts.length >= 2 && last !== 'OSI Approved' && last !== '')
      fromClassifiers.push(last);
  }
  if (fromClassifiers.length > 0) return [...new Set(fromClassifiers)];
  const license = fields.get('license')?.[0];
  if (license && !license.includes('\n') && license.length <= 200 && license.toUpperCase() !== 'UNKNOWN')
    return [license];
  return [];
}

export function parseCoreMetadata(text: string): CoreMetadata {
  const fields = parseHeaders(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const name = fields.get('name')?.[0];
  const version = fields.get('version')?.[0];
  return { ...(name ? { name } : {}), ...(version ? { version } : {}), licenses: licensesOf(fields) };
}
