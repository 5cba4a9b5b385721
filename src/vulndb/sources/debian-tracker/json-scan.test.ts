import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.ts';
import { type JsonScanEvent, JsonScanner, type JsonScanOptions, scanJson } from './json-scan.ts';

/** Scans `text` cut into pieces of `size` characters. */
function scan(text: string, options: JsonScanOptions = {}, size = text.length || 1): JsonScanEvent[] {
  const scanner = new JsonScanner(options);
  const events: JsonScanEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...scanner.push(text.slice(i, i + size)));
  scanner.end();
  return events;
}

function scanError(text: string, options: JsonScanOptions = {}): string {
  try {
    scan(text, options);
  } catch (err) {
    if (isVigilError(err, 'VIGIL_SOURCE_INVALID')) return err.message;
    throw err;
  }
  return 'no error';
}

describe('members and elements', () => {
  it.each<[string, string, JsonScanOptions, JsonScanEvent[]]>([
    ['empty object', '{}', {}, []],
    ['BOM and whitespace', '\ufeff \n{ } \n', {}, []],
    [
      'every value kind',
      '{"a": {"x": [1, "}"]}, "b": [1,2], "c": "s\\"}", "d": -1.5e3, "e": true, "f": null}',
      {},
      [
        { kind: 'member', key: 'a', text: '{"x": [1, "}"]}' },
        { kind: 'member', key: 'b', text: '[1,2]' },
        { kind: 'member', key: 'c', text: '"s\\"}"' },
        { kind: 'member', key: 'd', text: '-1.5e3' },
        { kind: 'member', key: 'e', text: 'true' },
        { kind: 'member', key: 'f', text: 'null' },
      ],
    ],
    [
      'expanded array',
      '{"n": 2, "v": [ {"id": 1} , "two", 3 ], "t": "x"}',
      { expand: ['v'] },
      [
        { kind: 'member', key: 'n', text: '2' },
        { kind: 'array', key: 'v' },
        { kind: 'element', key: 'v', index: 0, text: '{"id": 1}' },
        { kind: 'element', key: 'v', index: 1, text: '"two"' },
        { kind: 'element', key: 'v', index: 2, text: '3' },
        { kind: 'member', key: 't', text: '"x"' },
      ],
    ],
    ['expanded empty array', '{"v": []}', { expand: ['v'] }, [{ kind: 'array', key: 'v' }]],
    [
      'expanded member that is not an array',
      '{"v": {"a": 1}}',
      { expand: ['v'] },
      [{ kind: 'member', key: 'v', text: '{"a": 1}' }],
    ],
    ['escaped member name', '{"a\\u0062\\"": 1}', {}, [{ kind: 'member', key: 'ab"', text: '1' }]],
    [
      'oversize value is skipped, the next one kept',
      '{"big": "0123456789", "small": 1}',
      { maxValueChars: 5 },
      [
        { kind: 'oversize', key: 'big', chars: 12 },
        { kind: 'member', key: 'small', text: '1' },
      ],
    ],
  ])('%s', (_name, text, options, want) => {
    expect(scan(text, options)).toEqual(want);
    // the same events whatever the chunking
    for (const size of [1, 2, 3, 7]) expect(scan(text, options, size)).toEqual(want);
  });
});

describe('structural errors throw VIGIL_SOURCE_INVALID', () => {
  it.each([
    ['empty input', '', /empty document/],
    ['not an object', '[1,2]', /not a JSON object/],
    ['HTML error page', '<html>502</html>', /not a JSON object/],
    ['truncated in a value', '{"a": {"b": 1', /truncated/],
    ['truncated in a key', '{"ab', /truncated/],
    ['truncated in an expanded array', '{"v": [1, 2', /truncated/],
    ['truncated after a comma', '{"a": 1,', /truncated/],
    ['trailing comma', '{"a": 1,}', /member name/],
    ['trailing comma in array', '{"v": [1,]}', /expected a value/],
    ['missing colon', '{"a" 1}', /expected ":"/],
    ['missing comma', '{"a": 1 "b": 2}', /expected ","/],
    ['content after the object', '{} {}', /after the top-level/],
    ['unquoted key', '{a: 1}', /member name/],
    ['overlong key', `{"${'k'.repeat(100)}": 1}`, /too long/],
  ])('%s', (_name, text, want) => {
    expect(scanError(text, { expand: ['v'], maxKeyChars: 50 })).toMatch(want);
  });
});

describe('scanJson over a byte stream', () => {
  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('{"ü": "€"}');
    const chunks = [...bytes].map((b) => Uint8Array.of(b));
    const events = [];
    for await (const event of scanJson(
      (async function* () {
        yield* chunks;
      })(),
    ))
      events.push(event);
    expect(events).toEqual([{ kind: 'member', key: 'ü', text: '"€"' }]);
  });
});

describe('properties', () => {
  it('re-serialised JSON objects scan to their members, however chunked', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.integer({ min: 1, max: 17 }), (object, size) => {
        const text = JSON.stringify(object, null, size % 3);
        const members = scan(text, {}, size).map((e) => (e.kind === 'member' ? [e.key, JSON.parse(e.text)] : e));
        expect(members).toEqual(Object.entries(object).map(([k, v]) => [k, JSON.parse(JSON.stringify(v))]));
      }),
    );
  });

  it('arbitrary text either scans or throws VIGIL_SOURCE_INVALID', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json().map((j) => j.slice(0, j.length - 1)),
        ),
        (text) => {
          try {
            scan(`{"v": [${text}`, { expand: ['v'] });
            scan(text, { expand: ['v'] });
          } catch (err) {
            expect(isVigilError(err, 'VIGIL_SOURCE_INVALID')).toBe(true);
          }
        },
      ),
    );
  });
});
