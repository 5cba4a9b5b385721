/**
 * Atom 1.0 (RFC 4287) for the ECR-compatible findings feed. Text is escaped for XML 1.0, and
 * characters XML 1.0 forbids outright (most C0 controls, lone surrogates, U+FFFE/U+FFFF) are
 * dropped: escaping cannot make them legal, and advisory summaries are untrusted text.
 */
export interface AtomEntry {
  readonly id: string;
  readonly title: string;
  readonly updated: Date;
  readonly link?: string;
  readonly summary?: string;
}

export interface AtomFeed {
  readonly id: string;
  readonly title: string;
  readonly subtitle?: string;
  readonly link?: string;
  readonly updated: Date;
  readonly author: string;
  readonly entries: readonly AtomEntry[];
}

export const notXmlChar =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function escapeXml(text: string): string {
  return (
    text
      .replace(notXmlChar, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // a reader turns a literal CR into LF (XML 1.0 section 2.11); a reference survives as CR
      .replace(/\r/g, '&#13;')
  );
}

/** RFC 3339 without fractional seconds, as feed readers expect */
const stamp = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** only http(s) links: a javascript: or data: URL from an advisory must not reach a feed reader */
export const safeLink = (url: string | undefined): string | undefined =>
  url !== undefined && /^https?:\/\/[^\s]+$/i.test(url) ? url : undefined;

export function renderAtom(feed: AtomFeed): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">'];
  out.push(`  <title>${escapeXml(feed.title)}</title>`);
  out.push(`  <id>${escapeXml(feed.id)}</id>`);
  out.push(`  <updated>${stamp(feed.updated)}</updated>`);
  if (feed.subtitle !== undefined) out.push(`  <subtitle>${escapeXml(feed.subtitle)}</subtitle>`);
  const feedLink = safeLink(feed.link);
  if (feedLink !== undefined) out.push(`  <link href="${escapeXml(feedLink)}"/>`);
  out.push(`  <author>\n    <name>${escapeXml(feed.author)}</name>\n  </author>`);
  for (const entry of feed.entries) {
    out.push('  <entry>');
    out.push(`    <title>${escapeXml(entry.title)}</title>`);
    out.push(`    <updated>${stamp(entry.updated)}</updated>`);
    out.push(`    <id>${escapeXml(entry.id)}</id>`);
    const link = safeLink(entry.link);
    if (link !== undefined) out.push(`    <link href="${escapeXml(link)}" rel="alternate"/>`);
    if (entry.summary !== undefined) out.push(`    <summary type="text">${escapeXml(entry.summary)}</summary>`);
    out.push('  </entry>');
  }
  out.push('</feed>');
  return `${out.join('\n')}\n`;
}
