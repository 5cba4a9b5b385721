import { VigilError } from '../../core/errors.ts';
import { type HttpResponse, readBounded } from './http.ts';

/** What a request was about, for error messages. Never holds credentials. */
export interface RequestSubject {
  readonly registry: string;
  readonly repository?: string;
  /** "manifest", "blob", "tag list", "catalog", "upload" ... */
  readonly what: string;
  /** tag or digest */
  readonly reference?: string;
}

interface DistributionError {
  readonly code: string;
  readonly message: string;
}

const ERROR_BODY_LIMIT = 64 * 1024;

/** The `errors` array of a distribution-spec error body, when the registry sent one. */
async function readErrorBody(response: HttpResponse): Promise<DistributionError[]> {
  if (response.body === null) return [];
  try {
    const bytes = await readBounded(response, { idleTimeoutMs: 5_000, maxBytes: ERROR_BODY_LIMIT, what: 'error' });
    const parsed = JSON.parse(bytes.toString('utf8')) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({
        code: typeof e.code === 'string' ? e.code : '',
        message: typeof e.message === 'string' ? e.message.slice(0, 200) : '',
      }));
  } catch {
    return [];
  }
}

function describe(subject: RequestSubject): string {
  const repository = subject.repository === undefined ? '' : `/${subject.repository}`;
  const reference =
    subject.reference === undefined ? '' : `${subject.reference.includes(':') ? '@' : ':'}${subject.reference}`;
  return `${subject.what} ${subject.registry}${repository}${reference}`;
}

function contextOf(subject: RequestSubject, status: number, codes: string[]): Record<string, unknown> {
  return {
    registry: subject.registry,
    repository: subject.repository,
    reference: subject.reference,
    status,
    ...(codes.length > 0 ? { registryCodes: codes } : {}),
  };
}

/** Turns a non-success response into the VigilError the catalog documents. Consumes the body. */
export async function errorForResponse(response: HttpResponse, subject: RequestSubject): Promise<VigilError> {
  const errors = await readErrorBody(response);
  const codes = errors.map((e) => e.code).filter((c) => c !== '');
  const context = contextOf(subject, response.status, codes);
  const detail = errors.length > 0 ? ` (${errors.map((e) => `${e.code}: ${e.message}`).join('; ')})` : '';
  const target = describe(subject);
  switch (response.status) {
    case 401:
      return new VigilError(
        'VIGIL_REGISTRY_UNAUTHORIZED',
        `registry ${subject.registry} refused ${target}: credentials are missing or wrong (401)${detail}`,
        context,
      );
    case 403:
      return new VigilError(
        'VIGIL_REGISTRY_DENIED',
        `registry ${subject.registry} denied access to ${target}: the credentials lack permission (403)${detail}`,
        context,
      );
    case 404:
      return notFound(subject, codes, context, detail);
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return new VigilError(
        'VIGIL_REGISTRY_UNREACHABLE',
        `registry ${subject.registry} is unavailable: ${target} answered ${response.status} after retries${detail}`,
        context,
      );
    default:
      return new VigilError(
        'VIGIL_REGISTRY_PROTOCOL',
        `registry ${subject.registry} answered ${response.status} for ${target}${detail}`,
        context,
      );
  }
}

function notFound(
  subject: RequestSubject,
  codes: string[],
  context: Record<string, unknown>,
  detail: string,
): VigilError {
  const repository = `${subject.registry}/${subject.repository ?? ''}`;
  let message: string;
  if (codes.includes('NAME_UNKNOWN')) {
    message = `repository ${repository} does not exist`;
  } else if (codes.includes('MANIFEST_UNKNOWN') || codes.includes('TAG_INVALID')) {
    const kind = subject.reference?.includes(':') ? 'digest' : 'tag';
    message = `${kind} ${subject.reference ?? ''} does not exist in repository ${repository}`;
  } else if (codes.includes('BLOB_UNKNOWN')) {
    message = `blob ${subject.reference ?? ''} does not exist in repository ${repository}`;
  } else {
    message = `${describe(subject)} not found: the repository or the tag/digest does not exist`;
  }
  return new VigilError('VIGIL_REGISTRY_NAME_UNKNOWN', `${message} (404)${detail}`, context);
}

export function protocolError(subject: RequestSubject, problem: string): VigilError {
  return new VigilError('VIGIL_REGISTRY_PROTOCOL', `${describe(subject)}: ${problem}`, {
    registry: subject.registry,
    repository: subject.repository,
    reference: subject.reference,
  });
}
