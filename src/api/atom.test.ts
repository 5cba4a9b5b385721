import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeXml, notXmlChar, renderAtom, safeLink } from './atom.ts';
import { childrenNamed, parseXml } from './xml-check.ts';

const at = new Date('2026-11-02T10:00:00.123Z');
const feedWith = (text: string) =>
  renderAtom({
    id: 'urn:uuid:fc41dda8-f15e-4826-8908-11603b01dac4',
    title: text,
    updated: at,
    author: text,
    entries: [{ id: 'urn:x', title: text, updated: at, summary: text }],
  });

describe('Atom rendering', () => {
  it('any text survives a parse, minus the characters XML 1.0 forbids', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          // UTF-16 code units one by one: lone surrogates, U+FFFE, U+FFFF, C0 controls
          fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 50 }),
        ),
        (text) => {
          const xml = feedWith(text);
          expect(xml).not.toContain('\r');
          const feed = parseXml(xml);
          const expected = text.replace(notXmlChar, '');
          expect(childrenNamed(feed, 'title')[0]?.text).toBe(expected);
          const entry = childrenNamed(feed, 'entry')[0];
          expect(entry && childrenNamed(entry, 'summary')[0]?.text).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['<b>&"\'', '&lt;b&gt;&amp;&quot;&apos;'],
    ['a\u0000b\u0008c\u001fd', 'abcd'],
    ['tab\tnewline\n', 'tab\tnewline\n'],
    ['cr\r', 'cr&#13;'],
    ['\ud800lone', 'lone'],
    ['pair \ud83d\ude00', 'pair \ud83d\ude00'],
  ])('escapes %j', (text, escaped) => {
    expect(escapeXml(text)).toBe(escaped);
  });

  it.each([
    ['https://osv.dev/vulnerability/CVE-1', true],
    ['http://people.ubuntu.com/~ubuntu-security/cve/CVE-2016-1585', true],
    ['javascript:alert(1)', false],
    ['data:text/html,x', false],
    ['https://a b', false],
    [undefined, false],
  ])('links only to http(s): %s', (url, kept) => {
    expect(safeLink(url) !== undefined).toBe(kept);
  });

  it('writes RFC 3339 times without fractions', () => {
    expect(feedWith('t')).toContain('<updated>2026-11-02T10:00:00Z</updated>');
  });
});
