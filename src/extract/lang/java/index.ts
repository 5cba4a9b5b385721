/**
 * lang/java: Maven artifacts inside Java archives (.jar, .war, .ear, Jenkins .jpi/.hpi), nested
 * ones included (WEB-INF/lib, BOOT-INF/lib, ear modules, shaded jars that carry jars).
 *
 * Per archive, after Trivy (pkg/dependency/parser/java/jar/parse.go) and Syft
 * (syft/pkg/cataloger/java/archive_parser.go): every `pom.properties` it contains is a package (a
 * shaded jar lists what it swallowed); the archive's own identity is the pom.properties that names it,
 * else the MANIFEST.MF attributes, else the file name ("name-1.2.3.jar"). Packages of a nested
 * archive are located at "outer.war!/WEB-INF/lib/inner.jar", the JAR URL convention.
 */
import { purl } from '../../../core/purl.ts';
import type { Package } from '../../../core/types.ts';
import { WarningLog } from '../../os/dpkg/text-lines.ts';
import type { ExtractInput, Extractor, ExtractResult } from '../../types.ts';
import { type ArchiveContents, type ArchiveLimits, defaultArchiveLimits, walkArchive } from './archive.ts';
import {
  fileNameCoordinates,
  type MavenCoordinates,
  manifestCoordinates,
  manifestLicenses,
  parseManifest,
  pomCoordinates,
  pomLicenses,
} from './metadata.ts';

const ARCHIVE = /\.(?:jar|war|ear|jpi|hpi)$/i;

const mavenName = (c: MavenCoordinates): string => (c.groupId ? `${c.groupId}:${c.artifactId}` : c.artifactId);

function mavenPackage(c: MavenCoordinates, location: string, licenses: readonly string[] = []): Package {
  return {
    type: 'maven',
    ecosystem: 'Maven',
    name: mavenName(c),
    version: c.version,
    ...(licenses.length > 0 ? { licenses } : {}),
    // the maven purl type requires a namespace; without a known groupId Syft repeats the artifactId
    // (syft/pkg/cataloger/java/package_url.go), and so do we
    purl: purl('maven', c.groupId ?? c.artifactId, c.artifactId, c.version),
    locations: [location],
  };
}

/**
 * Does this pom.properties describe the archive itself? Its artifactId and version match the file
 * name's, as Trivy checks; "group.artifact-1.0.jar" (how Quarkus names its lib/ jars) matches too.
 */
function namesArchive(pom: MavenCoordinates, fromFileName: MavenCoordinates): boolean {
  const artifact = fromFileName.artifactId;
  const sameArtifact = artifact === pom.artifactId || (pom.groupId && artifact === `${pom.groupId}.${pom.artifactId}`);
  return Boolean(sameArtifact) && fromFileName.version === pom.version;
}

/** The packages one archive contributes (not those of archives nested in it). */
function packagesOf(contents: ArchiveContents, warn: (message: string) => void): Package[] {
  const poms: Array<{ entry: string; coordinates: MavenCoordinates }> = [];
  for (const { entry, text } of contents.pomProperties) {
    const coordinates = pomCoordinates(text);
    if (coordinates) poms.push({ entry, coordinates });
    else warn(`${contents.label}!/${entry}: no artifactId or version; skipped`);
  }
  const manifest = contents.manifest === undefined ? undefined : parseManifest(contents.manifest);
  const fromFileName = fileNameCoordinates(contents.fileName);

  // Maven descriptors live in META-INF/maven/<groupId>/<artifactId>/; others (copied test
  // resources, relocated shading output) count as packages but name the archive only when alone.
  const descriptors = poms.filter((p) => p.entry.startsWith('META-INF/maven/'));
  const candidates = descriptors.length > 0 ? descriptors : poms;
  const fromManifest = manifest ? manifestCoordinates(manifest) : undefined;
  // A descriptor names the archive when it matches the file name, or, failing that, when it is the
  // only one with the file name's version (a renamed jar). Without a versioned file name, a lone
  // descriptor is the archive's own unless the manifest gives another version (an app jar shading
  // one library).
  const sameVersion = (version: string) => candidates.filter((p) => p.coordinates.version === version);
  const own = fromFileName
    ? (candidates.find((p) => namesArchive(p.coordinates, fromFileName)) ??
      (sameVersion(fromFileName.version).length === 1 ? sameVersion(fromFileName.version)[0] : undefined))
    : candidates.length === 1 && (!fromManifest || fromManifest.version === candidates[0]!.coordinates.version)
      ? candidates[0]
      : undefined;

  // licenses: the manifest's for the archive itself, else those of the descriptor's pom.xml
  const dir = (entry: string) => entry.slice(0, entry.lastIndexOf('/') + 1);
  const pomXmlLicenses = new Map(contents.pomXml.map(({ entry, text }) => [dir(entry), pomLicenses(text)]));
  const declared = (pom: { entry: string }) => pomXmlLicenses.get(dir(pom.entry)) ?? [];
  const manifestDeclared = manifest ? manifestLicenses(manifest) : [];
  const packages: Package[] = [];
  const seen = new Set<string>();
  const add = (c: MavenCoordinates, ownLicenses: readonly string[] = []): void => {
    const key = `${mavenName(c)}@${c.version}`;
    if (seen.has(key)) return;
    seen.add(key);
    packages.push(mavenPackage(c, contents.label, ownLicenses));
  };
  if (own) add(own.coordinates, manifestDeclared.length > 0 ? manifestDeclared : declared(own));
  else {
    const identity = fromManifest ?? fromFileName;
    if (identity) add(identity, manifestDeclared);
  }
  for (const pom of poms) add(pom.coordinates, declared(pom));
  return packages;
}

export function createJavaExtractor(limits: ArchiveLimits = defaultArchiveLimits) {
  return {
    name: 'lang/java',
    version: 1,

    required(path: string): boolean {
      return ARCHIVE.test(path);
    },

    async extract(input: ExtractInput): Promise<ExtractResult> {
      // hostile archives can yield a warning per entry and entry names of 64 KiB: both bounded
      const warnings = new WarningLog();
      const warn = (message: string): void => {
        warnings.add(message.length > 500 ? `${message.slice(0, 500)}…` : message);
      };
      const archives: ArchiveContents[] = [];
      await walkArchive(await input.localPath(), input.path, (contents) => archives.push(contents), warn, limits);
      archives.sort((a, b) => a.index - b.index);
      const packages = archives.flatMap((contents) => packagesOf(contents, warn));
      return { packages, warnings: warnings.toArray() };
    },
  } satisfies Extractor;
}

export const javaExtractor = createJavaExtractor();
