/**
 * Test support: a strict parser for the XML subset the API writes (declaration, elements,
 * attributes, text, the five entities and character references). It throws on anything not
 * well-formed by XML 1.0, so a feed that passes here parses in any conforming reader.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/;
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function decode(raw: string, where: number): string {
  if (raw.includes('<')) throw new Error(`'<' in character data at ${where}`);
  if (FORBIDDEN.test(raw)) throw new Error(`character not allowed in XML 1.0 at ${where}`);
  return raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new Error(`unterminated reference at ${where}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ref in named) return named[ref] as string;
    const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
    if (num === null) throw new Error(`unknown entity &${ref}; at ${where}`);
    return String.fromCodePoint(num[1] !== undefined ? Number.parseInt(num[1], 16) : Number(num[2]));
  });
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const declaration = /^<\?xml version="1\.0"( encoding="UTF-8")?\?>/.exec(xml);
  if (declaration !== null) i = declaration[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt === -1 ? xml.length : lt;
    const text = decode(xml.slice(i, textEnd), i);
    const parent = stack.at(-1);
    if (parent !== undefined) parent.text += text;
    else if (text.trim() !== '') throw new Error(`text outside the root element at ${i}`);
    if (lt === -1) break;
    i = lt + 1;
    if (xml[i] === '/') {
      const name = NAME.exec(xml.slice(i + 1))?.[0];
      const open = stack.pop();
      if (name === undefined || open?.name !== name) throw new Error(`mismatched </${name}> at ${i}`);
      i += 1 + name.length;
      while (/\s/.test(xml[i] ?? '')) i++;
      if (xml[i] !== '>') throw new Error(`bad end tag at ${i}`);
      i++;
      continue;
    }
    const name = NAME.exec(xml.slice(i))?.[0];
    if (name === undefined) throw new Error(`bad tag at ${i}`);
    i += name.length;
    const element: XmlElement = { name, attributes: {}, children: [], text: '' };
    for (;;) {
      const space = /^\s*/.exec(xml.slice(i))?.[0].length ?? 0;
      i += space;
      if (xml.startsWith('/>', i) || xml[i] === '>') break;
      if (space === 0) throw new Error(`attributes need white space before them at ${i}`);
      const attr = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(xml.slice(i));
      if (attr === null) throw new Error(`bad attribute at ${i}`);
      const key = attr[1] as string;
      if (key in element.attributes) throw new Error(`duplicate attribute ${key} at ${i}`);
      element.attributes[key] = decode(attr[3] ?? attr[4] ?? '', i);
      i += attr[0].length;
    }
    const parentElement = stack.at(-1);
    if (parentElement !== undefined) parentElement.children.push(element);
    else if (root === undefined) root = element;
    else throw new Error(`second root element at ${i}`);
    if (xml.startsWith('/>', i)) {
      i += 2;
    } else {
      i += 1;
      stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.at(-1)?.name}>`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

export const childrenNamed = (element: XmlElement, name: string): XmlElement[] =>
  element.children.filter((c) => c.name === name);
