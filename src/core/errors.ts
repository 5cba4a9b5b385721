/**
 * The error catalog: every failure Vigil reports has a stable code, a documented exit code and an
 * HTTP status, mapped here once (after fastify's lib/errors.js). Throw `VigilError` with a code
 * from this table; never match on message text.
 */
export const ExitCode = {
  ok: 0,
  /** findings at or above --fail-on remain (scan) */
  findings: 1,
  usage: 2,
  image: 3,
  registry: 4,
  database: 5,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

interface CatalogEntry {
  readonly exit: ExitCode;
  readonly http: number;
  readonly summary: string;
}

export const errorCatalog = {
  VIGIL_USAGE: { exit: ExitCode.usage, http: 400, summary: 'bad flag or argument' },
  VIGIL_IMAGE_REF_INVALID: { exit: ExitCode.usage, http: 400, summary: 'image reference cannot be parsed' },
  VIGIL_PLATFORM_INVALID: { exit: ExitCode.usage, http: 400, summary: 'platform is not os/arch[/variant]' },
  VIGIL_IMAGE_NOT_FOUND: { exit: ExitCode.image, http: 404, summary: 'image, file or directory does not exist' },
  VIGIL_IMAGE_INVALID: { exit: ExitCode.image, http: 422, summary: 'image manifest, config or archive is malformed' },
  VIGIL_PLATFORM_NOT_FOUND: { exit: ExitCode.image, http: 404, summary: 'no manifest for the requested platform' },
  VIGIL_DIGEST_MISMATCH: { exit: ExitCode.image, http: 422, summary: 'content does not match its digest' },
  VIGIL_LAYER_INVALID: { exit: ExitCode.image, http: 422, summary: 'layer cannot be decompressed or read as tar' },
  VIGIL_LIMIT_EXCEEDED: { exit: ExitCode.image, http: 413, summary: 'input exceeds a safety bound' },
  VIGIL_REGISTRY_UNAUTHORIZED: { exit: ExitCode.registry, http: 401, summary: 'registry rejected the credentials' },
  VIGIL_REGISTRY_DENIED: {
    exit: ExitCode.registry,
    http: 403,
    summary: 'credentials lack permission for this repository',
  },
  VIGIL_REGISTRY_NAME_UNKNOWN: {
    exit: ExitCode.registry,
    http: 404,
    summary: 'repository or tag does not exist in the registry',
  },
  VIGIL_REGISTRY_UNREACHABLE: { exit: ExitCode.registry, http: 502, summary: 'registry cannot be reached' },
  VIGIL_REGISTRY_PROTOCOL: {
    exit: ExitCode.registry,
    http: 502,
    summary: 'registry answered outside the distribution spec',
  },
  VIGIL_REGISTRY_TIMEOUT: { exit: ExitCode.registry, http: 504, summary: 'registry did not answer in time' },
  VIGIL_AWS_SDK_MISSING: { exit: ExitCode.registry, http: 500, summary: 'optional AWS SDK is not installed' },
  VIGIL_SOURCE_UNREACHABLE: {
    exit: ExitCode.database,
    http: 502,
    summary: 'vulnerability source cannot be fetched (network, HTTP status or missing mirror file)',
  },
  VIGIL_SOURCE_INVALID: {
    exit: ExitCode.database,
    http: 502,
    summary: 'vulnerability source arrived unreadable or incomplete',
  },
  VIGIL_DB_MISSING: { exit: ExitCode.database, http: 503, summary: 'no vulnerability database yet' },
  VIGIL_DB_CORRUPT: { exit: ExitCode.database, http: 500, summary: 'vulnerability database is unreadable' },
  VIGIL_DB_STALE: { exit: ExitCode.database, http: 503, summary: 'vulnerability data is older than the stale limit' },
  VIGIL_SBOM_INVALID: { exit: ExitCode.usage, http: 422, summary: 'SBOM file is not CycloneDX or SPDX JSON' },
  VIGIL_POLICY_INVALID: {
    exit: ExitCode.usage,
    http: 422,
    summary: 'ignore file or VEX document cannot be read',
  },
  VIGIL_CACHE_CORRUPT: { exit: ExitCode.internal, http: 500, summary: 'cache entry is unreadable' },
  VIGIL_VERSION_INVALID: { exit: ExitCode.usage, http: 400, summary: 'version string is invalid for its scheme' },
  VIGIL_SCHEME_UNKNOWN: { exit: ExitCode.usage, http: 400, summary: 'unknown version scheme' },
  VIGIL_ABORTED: { exit: ExitCode.internal, http: 499, summary: 'operation was cancelled' },
  VIGIL_INTERNAL: { exit: ExitCode.internal, http: 500, summary: 'unexpected internal error' },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof errorCatalog;

export class VigilError extends Error {
  override readonly name = 'VigilError';
  readonly code: ErrorCode;
  /** structured facts for logs and API bodies; never secrets */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.context = Object.freeze({ ...context });
  }

  get exitCode(): ExitCode {
    return errorCatalog[this.code].exit;
  }

  get httpStatus(): number {
    return errorCatalog[this.code].http;
  }
}

export function isVigilError(err: unknown, code?: ErrorCode): err is VigilError {
  return err instanceof VigilError && (code === undefined || err.code === code);
}

/** Maps anything thrown to the exit code the CLI documents. */
export function exitCodeFor(err: unknown): ExitCode {
  return err instanceof VigilError ? err.exitCode : ExitCode.internal;
}
