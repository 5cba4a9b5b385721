/** Shared domain types. Kept free of behaviour so every folder can depend on them. */

export type Transport = 'registry' | 'docker-archive' | 'oci-archive' | 'oci' | 'dir';

/** What the user typed, parsed. `registry` transport fields follow the distribution reference grammar. */
export interface ImageRef {
  readonly transport: Transport;
  /** as given, for messages and reports */
  readonly original: string;
  /** registry host[:port], e.g. "registry-1.docker.io" (registry transport only) */
  readonly registry?: string;
  /** repository path, e.g. "library/debian" (registry transport only) */
  readonly repository?: string;
  readonly tag?: string;
  /** "sha256:..." when pinned */
  readonly digest?: string;
  /** filesystem path for archive, layout and dir transports */
  readonly path?: string;
  /** for oci:DIR:tag and oci-archive:FILE:tag; selects an index entry by org.opencontainers.image.ref.name */
  readonly pathRef?: string;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export type Compression = 'gzip' | 'zstd' | 'none';

export interface LayerRef {
  /** digest of the blob as stored (compressed), verified while streaming */
  readonly digest: string;
  /** digest of the uncompressed tar (config rootfs.diff_ids); the layer-cache key */
  readonly diffId: string;
  readonly mediaType: string;
  readonly size: number;
  readonly compression: Compression;
  /** the Dockerfile-ish instruction from config history, when known */
  readonly createdBy?: string;
}

export interface ImageConfig {
  readonly architecture?: string;
  readonly os?: string;
  readonly variant?: string;
  readonly created?: string;
  readonly config?: {
    readonly Env?: string[];
    readonly Entrypoint?: string[] | null;
    readonly Cmd?: string[] | null;
    readonly Labels?: Record<string, string> | null;
    readonly WorkingDir?: string;
  };
  readonly rootfs?: { readonly type: string; readonly diff_ids: string[] };
  readonly history?: ReadonlyArray<{ created_by?: string; empty_layer?: boolean; created?: string }>;
}

export interface ResolvedImage {
  readonly ref: ImageRef;
  /** digest of the image manifest (for a directory: a digest of its listing, see image/dir) */
  readonly manifestDigest: string;
  /** digest of the index/manifest list the platform manifest was chosen from, when any */
  readonly indexDigest?: string;
  readonly configDigest: string;
  readonly config: ImageConfig;
  readonly platform: Platform;
  readonly layers: readonly LayerRef[];
  /** registry tags or names the image is known by (repoTags in docker save) */
  readonly repoTags?: readonly string[];
}

export interface Distro {
  /** os-release ID, e.g. "debian", "ubuntu", "alpine", "rhel", "almalinux", "wolfi" */
  readonly id: string;
  /** VERSION_ID, e.g. "12", "22.04", "3.19.1" */
  readonly versionId?: string;
  readonly versionCodename?: string;
  readonly prettyName?: string;
  /** ID_LIKE entries */
  readonly idLike?: readonly string[];
  /** file the facts came from */
  readonly source: string;
}

/** Package type in purl terms; OS types first, language types join later. */
export type PackageType = 'deb' | 'apk' | 'rpm' | (string & {});

export interface Package {
  readonly type: PackageType;
  readonly name: string;
  /** the version as the package manager prints it (rpm: [epoch:]version-release) */
  readonly version: string;
  readonly arch?: string;
  /** source package (dpkg Source:, apk origin, rpm SOURCERPM name) */
  readonly sourceName?: string;
  readonly sourceVersion?: string;
  /** rpm fields kept apart for matching */
  readonly epoch?: number;
  readonly release?: string;
  readonly modularityLabel?: string;
  readonly licenses?: readonly string[];
  readonly maintainer?: string;
  /**
   * OSV ecosystem of a language package ("npm", "PyPI", "Go", "Maven", "RubyGems", "crates.io",
   * "Packagist", "NuGet"); unset for OS packages, whose ecosystem follows from the distro.
   */
  readonly ecosystem?: string;
  /** the application's own package (a root package.json, a Go binary's main module) */
  readonly root?: boolean;
  /** a direct dependency of the application, where a lockfile or manifest says so */
  readonly direct?: boolean;
  /** a development-only dependency, where a lockfile or manifest says so (kept, flagged) */
  readonly dev?: boolean;
  readonly purl: string;
  /** image paths of the database or manifest the package was read from */
  readonly locations: readonly string[];
  /** diffID of the layer that introduced the package (unset for dir: sources) */
  readonly layerDiffId?: string;
  readonly layerIndex?: number;
  /** files the package manager says this package owns (no leading "/") */
  readonly files?: readonly string[];
}

export interface Warning {
  /** image path of the file, or "" for image-wide warnings */
  readonly path: string;
  readonly extractor?: string;
  readonly message: string;
  readonly layerDiffId?: string;
}

/** The SBOM of one image: computed once per manifest digest and kept. */
export interface Inventory {
  readonly schemaVersion: 1;
  readonly image: {
    readonly ref: string;
    readonly transport: Transport;
    readonly manifestDigest: string;
    readonly configDigest: string;
    readonly platform: Platform;
    readonly layers: ReadonlyArray<{ diffId: string; digest: string; size: number; createdBy?: string }>;
    readonly repoTags?: readonly string[];
  };
  readonly distro?: Distro;
  readonly packages: readonly Package[];
  readonly warnings: readonly Warning[];
  /** name@version of each extractor that ran, part of the cache key */
  readonly extractors: readonly string[];
  readonly createdAt: string;
}

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'NONE' | 'UNKNOWN';
/** most severe first; index order is the sort order of reports */
export const severities: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NONE', 'UNKNOWN'];

export interface CvssScore {
  /** "CVSS_V2" | "CVSS_V3" | "CVSS_V4" as OSV names them */
  readonly type: string;
  readonly vector: string;
  readonly score: number;
  readonly severity: Severity;
  /** where the vector came from: "osv", "nvd", "ghsa" ... */
  readonly source: string;
}

/** One vulnerability affecting one installed package. */
export interface Finding {
  /** the id the finding is shown under: the CVE when one is known, else the record's own id */
  readonly id: string;
  /** every other id of the same vulnerability (OSV ids, GHSA, DSA/DLA, USN, ALSA ...) */
  readonly aliases: readonly string[];
  /** OSV record ids that produced this finding */
  readonly sources: readonly string[];
  readonly package: {
    readonly name: string;
    readonly version: string;
    readonly type: string;
    readonly ecosystem: string;
    readonly purl: string;
    readonly sourceName?: string;
    readonly sourceVersion?: string;
    readonly layerDiffId?: string;
    readonly layerIndex?: number;
    readonly locations: readonly string[];
  };
  /** versions that fix it, in the package's scheme; empty when none is known */
  readonly fixedVersions: readonly string[];
  /** "fixed": a fix exists; "not-fixed": no fix yet; "wont-fix": the distro will not fix it */
  readonly fixState: 'fixed' | 'not-fixed' | 'wont-fix';
  readonly severity: Severity;
  readonly cvss: readonly CvssScore[];
  /** ecosystem severity as the distro or advisory database states it (Debian urgency, GHSA ...) */
  readonly ecosystemSeverity?: string;
  readonly kev?: { readonly dateAdded: string; readonly dueDate?: string; readonly ransomware?: boolean };
  readonly epss?: { readonly score: number; readonly percentile: number; readonly date?: string };
  readonly summary?: string;
  readonly published?: string;
  readonly modified?: string;
  readonly urls: readonly string[];
}
