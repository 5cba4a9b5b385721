import type { FastifyError, FastifyInstance } from 'fastify';
import { isVigilError } from '../core/errors.ts';

/**
 * Failures only the HTTP face has (authentication, authorisation, a missing resource, a missing
 * queue), with their statuses. Everything else is a VigilError from src/core/errors.ts and keeps
 * the status that table gives it.
 */
export const apiErrorStatus = {
  VIGIL_UNAUTHENTICATED: 401,
  VIGIL_FORBIDDEN: 403,
  VIGIL_NOT_FOUND: 404,
  /** the request is valid but the resource's state forbids it (replaying a delivery that did not fail) */
  VIGIL_CONFLICT: 409,
  VIGIL_UNAVAILABLE: 503,
} as const;
export type ApiErrorCode = keyof typeof apiErrorStatus;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.headers = headers;
  }
  get httpStatus(): number {
    return apiErrorStatus[this.code];
  }
}

export const notFound = (what: string): ApiError => new ApiError('VIGIL_NOT_FOUND', `${what} does not exist`);

export interface ErrorBody {
  error: { code: string; message: string };
}

const body = (code: string, message: string): ErrorBody => ({ error: { code, message } });

/**
 * One JSON shape for every 4xx/5xx. Validation failures and fastify's own request errors (bad
 * JSON, wrong content type, a body over the limit) become VIGIL_USAGE / VIGIL_LIMIT_EXCEEDED with
 * fastify's message, which names the field; a 5xx never echoes the cause to the client.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof ApiError) {
      return reply.code(err.httpStatus).headers(err.headers).send(body(err.code, err.message));
    }
    if (isVigilError(err)) {
      if (err.httpStatus >= 500) request.log.error({ code: err.code, msg: err.message }, 'request failed');
      return reply.code(err.httpStatus).send(body(err.code, err.message));
    }
    const fastifyError = err as FastifyError;
    if (fastifyError.validation !== undefined) {
      return reply.code(400).send(body('VIGIL_USAGE', err.message));
    }
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(body('VIGIL_LIMIT_EXCEEDED', err.message));
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send(body('VIGIL_USAGE', err.message));
    }
    // the message of an unexpected error can carry driver detail; the log gets it, the client not
    request.log.error({ err: { name: err.name, message: err.message, code: fastifyError.code } }, 'request failed');
    return reply.code(500).send(body('VIGIL_INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(body('VIGIL_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
