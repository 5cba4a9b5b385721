/**
 * What a Java archive says about itself: `META-INF/MANIFEST.MF` (JAR File Specification, "JAR
 * Manifest": https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html#jar-manifest),
 * `pom.properties` written by maven-archiver (java.util.Properties text format), and the file name.
 */

/** groupId:artifactId@version as Maven coordinates; groupId may be unknown */
export interface MavenCoordinates {
  readonly groupId?: string;
  readonly artifactId: string;
  readonly version: string;
}

/** The main section of a manifest: attribute name → value, names as written. */
export type ManifestAttributes = ReadonlyMap<string, string>;

/**
 * Parses the main section of a manifest. Per the spec a line ends in CR LF, LF or CR; a line that
 * starts with one space continues the previous value (joined without the space, as
 * java.util.jar.Attributes does); the main section ends at the first empty line, and the sections
 * after it describe entries, not the archive. Lines without "name:" are skipped.
 */
export function parseManifest(text: string): ManifestAttributes {
  const attributes = new Map<string, string>();
  let pending: string | undefined;
  const flush = (): void => {
    if (pending === undefined) return;
    const colon = pending.indexOf(':');
    if (colon > 0) {
      const name = pending.slice(0, colon).trim();
      const value = pending.slice(colon + 1).trim();
      if (name !== '' && !attributes.has(name)) attributes.set(name, value);
    }
    pending = undefined;
  };
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') break;
    if (line.startsWith(' ')) {
      if (pending !== undefined) pending += line.slice(1);
      continue;
    }
    flush();
    pending = line;
  }
  flush();
  return attributes;
}

/** a usable attribute value: set, and not a build-time placeholder ("%bundleName", "${version}") */
function attribute(manifest: ManifestAttributes, name: string): string | undefined {
  const value = manifest.get(name)?.trim();
  if (!value || value.startsWith('%') || value.includes('${')) return undefined;
  return value;
}

/** "org.example.core;singleton:=true" → "org.example.core" (OSGi header parameters dropped) */
function bundleSymbolicName(manifest: ManifestAttributes): string | undefined {
  const value = attribute(manifest, 'Bundle-SymbolicName');
  const name = value?.split(';')[0]?.trim();
  return name || undefined;
}

/**
 * Coordinates from manifest attributes, in the order Trivy's jar parser (pkg/dependency/parser/
 * java/jar/parse.go, determineGroupID/ArtifactID/Version) and Syft's java cataloger consult them:
 * groupId from Implementation-Vendor-Id, else the Bundle-SymbolicName up to its last dot, else a
 * vendor; artifactId from Implementation-Title, Specification-Title, Bundle-Name; version from
 * Implementation-Version, Specification-Version, Bundle-Version. Needs at least a title and a version.
 */
export function manifestCoordinates(manifest: ManifestAttributes): MavenCoordinates | undefined {
  const symbolic = bundleSymbolicName(manifest);
  const lastDot = symbolic?.lastIndexOf('.') ?? -1;
  const groupId =
    attribute(manifest, 'Implementation-Vendor-Id') ??
    (symbolic !== undefined && lastDot > 0 ? symbolic.slice(0, lastDot) : symbolic) ??
    attribute(manifest, 'Implementation-Vendor') ??
    attribute(manifest, 'Specification-Vendor');
  const artifactId =
    attribute(manifest, 'Implementation-Title') ??
    attribute(manifest, 'Specification-Title') ??
    attribute(manifest, 'Bundle-Name');
  const version =
    attribute(manifest, 'Implementation-Version') ??
    attribute(manifest, 'Specification-Version') ??
    attribute(manifest, 'Bundle-Version');
  if (!artifactId || !version) return undefined;
  return { ...(groupId ? { groupId } : {}), artifactId, version };
}

/**
 * Declared licenses: Jenkins plugins write `Plugin-License-Name`, `Plugin-License-Name-2` ...;
 * OSGi bundles write `Bundle-License` as a comma-separated list of "id;link=..." clauses
 * (OSGi Core 8, 3.2.1.10), of which the ids are kept.
 */
export function manifestLicenses(manifest: ManifestAttributes): string[] {
  const jenkins = [...manifest.entries()]
    .filter(([name]) => name === 'Plugin-License-Name' || /^Plugin-License-Name-\d+$/.test(name))
    .map(([, value]) => value.trim())
    .filter((value) => value !== '');
  if (jenkins.length > 0) return jenkins;
  const bundle = attribute(manifest, 'Bundle-License');
  if (!bundle || bundle === '<<EXTERNAL>>') return [];
  return splitUnquoted(bundle, ',')
    .map((clause) => splitUnquoted(clause, ';')[0]!.trim().replace(/^"|"$/g, ''))
    .map((id) => (/^https?:\/\//i.test(id) ? licenseFromUrl(id) : id))
    .filter((id): id is string => id !== undefined && id !== '');
}

/**
 * Bundle-License often holds the license's URL instead of its id. The common ones map to SPDX ids
 * (as Trivy maps them through SPDX seeAlso URLs); an unknown URL is dropped, as Trivy drops it,
 * so the pom.xml's license names can stand in.
 */
const LICENSE_URLS: ReadonlyArray<[RegExp, string]> = [
  [/^apache\.org\/licenses\/license-2\.0/, 'Apache-2.0'],
  [/^opensource\.org\/licenses\/mit/, 'MIT'],
  [/^opensource\.org\/licenses\/bsd-3-clause/, 'BSD-3-Clause'],
  [/^opensource\.org\/licenses\/bsd-2-clause/, 'BSD-2-Clause'],
  [/^(eclipse\.org\/legal\/epl-v10|opensource\.org\/licenses\/epl-1\.0)/, 'EPL-1.0'],
  [/^(eclipse\.org\/legal\/epl-2\.0|eclipse\.org\/legal\/epl-v20|opensource\.org\/licenses\/epl-2\.0)/, 'EPL-2.0'],
  [/^gnu\.org\/licenses\/lgpl-2\.1/, 'LGPL-2.1-only'],
  [/^gnu\.org\/licenses\/lgpl(-3\.0)?(\.|$)/, 'LGPL-3.0-only'],
];

function licenseFromUrl(url: string): string | undefined {
  const key = url.toLowerCase().replace(/^https?:\/\/(www\.)?/, '');
  return LICENSE_URLS.find(([pattern]) => pattern.test(key))?.[1];
}

/** splits on `separator` outside double quotes (OSGi header syntax quotes values with commas) */
function splitUnquoted(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * java.util.Properties.load text format, the subset maven-archiver writes and people edit: "#"/"!"
 * comments, key ends at the first unescaped "=", ":" or whitespace, backslash continues a line,
 * backslash escapes (\t \n \r \f \uXXXX, anything else stands for itself).
 */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    // parts joined once: appending line by line re-copies the whole value each time
    const parts: string[] = [];
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) {
      parts.push(line.slice(0, -1));
      line = lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    parts.push(endsWithOddBackslashes(line) ? line.slice(0, -1) : line);
    const logical = parts.join('');
    let keyEnd = 0;
    while (keyEnd < logical.length && !/[=: \t\f]/.test(logical[keyEnd]!)) keyEnd += logical[keyEnd] === '\\' ? 2 : 1;
    keyEnd = Math.min(keyEnd, logical.length);
    let valueStart = keyEnd;
    while (valueStart < logical.length && /[ \t\f]/.test(logical[valueStart]!)) valueStart++;
    if (valueStart < logical.length && /[=:]/.test(logical[valueStart]!)) valueStart++;
    while (valueStart < logical.length && /[ \t\f]/.test(logical[valueStart]!)) valueStart++;
    properties.set(unescapeProperty(logical.slice(0, keyEnd)), unescapeProperty(logical.slice(valueStart)));
  }
  return properties;
}

function endsWithOddBackslashes(line: string): boolean {
  let count = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescapeProperty(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/gs, (_, escaped: string) =>
    escaped.length === 5 ? String.fromCharCode(Number.parseInt(escaped.slice(1), 16)) : (ESCAPES[escaped] ?? escaped),
  );
}

/** pom.properties → coordinates; undefined without artifactId and version (Syft and Trivy skip those too) */
export function pomCoordinates(text: string): MavenCoordinates | undefined {
  const properties = parseProperties(text);
  const groupId = properties.get('groupId')?.trim();
  const artifactId = properties.get('artifactId')?.trim();
  const version = properties.get('version')?.trim();
  if (!artifactId || !version) return undefined;
  return { ...(groupId ? { groupId } : {}), artifactId, version };
}

/**
 * "spring-core-5.3.4-SNAPSHOT.jar" → spring-core 5.3.4-SNAPSHOT: the version starts at the first
 * "-<digit>" (Trivy's jarFileRegEx, widened to every archive extension). Undefined for "app.jar".
 */
export function fileNameCoordinates(fileName: string): MavenCoordinates | undefined {
  // a file name is at most 255 bytes on Linux; a zip entry name can be 64 KiB, and this pattern
  // backtracks quadratically on a long one
  if (fileName.length > 255) return undefined;
  const match = /^([A-Za-z0-9._-]*[^-*])-(\d[^\s/]*)\.(?:jar|war|ear|jpi|hpi)$/i.exec(fileName);
  if (!match) return undefined;
  return { artifactId: match[1]!, version: match[2]! };
}

/** contents of each `<tag ...>...</tag>` in `xml`, in order; a linear scan (no backtracking regex) */
function elements(xml: string, tag: string): string[] {
  const found: string[] = [];
  for (let at = 0; ; ) {
    const open = xml.indexOf(`<${tag}`, at);
    if (open === -1) return found;
    const after = xml[open + tag.length + 1];
    if (after !== '>' && after !== ' ' && after !== '\t' && after !== '\n' && after !== '\r') {
      at = open + tag.length + 1;
      continue;
    }
    const start = xml.indexOf('>', open);
    const end = start === -1 ? -1 : xml.indexOf(`</${tag}>`, start);
    if (end === -1) return found;
    found.push(xml.slice(start + 1, end));
    at = end + tag.length + 3;
  }
}

/** `xml` without `<!-- ... -->` comments; an unclosed comment runs to the end (XML 1.0 2.5) */
function withoutComments(xml: string): string {
  let text = '';
  for (let at = 0; at < xml.length; ) {
    const comment = xml.indexOf('<!--', at);
    if (comment === -1) return text + xml.slice(at);
    text += xml.slice(at, comment);
    const end = xml.indexOf('-->', comment + 4);
    if (end === -1) return text;
    at = end + 3;
  }
  return text;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** character data: CDATA markers dropped, predefined and numeric references decoded (XML 1.0 4.1, 4.6) */
function xmlText(text: string): string {
  return text
    .replace(/<!\[CDATA\[|\]\]>/g, '')
    .replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (whole, entity: string) => {
      if (!entity.startsWith('#')) return XML_ENTITIES[entity] ?? whole;
      const code = entity[1] === 'x' ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    });
}

/**
 * `<licenses><license><name>` of a pom.xml (Maven POM 4.0.0 reference, "Licenses"), as Trivy
 * attaches them (pkg/dependency/parser/java/jar/parse.go, decodePomLicenses). A license given only
 * by `<url>` is left out; licenses inherited from a parent POM are not in the file and not known.
 */
export function pomLicenses(xml: string): string[] {
  const block = elements(withoutComments(xml), 'licenses')[0];
  if (block === undefined) return [];
  return elements(block, 'license')
    .map((license) => elements(license, 'name')[0])
    .filter((name): name is string => name !== undefined)
    .map((name) => xmlText(name).trim())
    .filter((name) => name !== '');
}
