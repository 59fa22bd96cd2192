/**
 * Every error the HTTP API answers goes through here: it becomes a CloudError, its status comes
 * from the one table in errors.ts, and the body is `{ error: { code, reason, detail, retryable } }`
 * (the edge's photo API answers the same shape). Retryable refusals (409, 429, 503) carry
 * `retry-after`, which the edge honours as its minimum back-off.
 */
import { retryAfterOf } from './rate-limits.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CloudError, reasonOf } from '../errors.js';

export interface RetryAfterSeconds {
  /** 503: the bus is down; give it time to come back. */
  busUnavailable: number;
  /** 429: too many batches at once. */
  overloaded: number;
  /** 409: the same idempotency key is being processed right now. */
  inProgress: number;
}

export interface ErrorBody {
  error: { code: string; reason: string; detail: string; retryable: boolean };
}

const FASTIFY_CODES: Record<string, CloudError['code']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'FW_BATCH_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'FW_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_NOT_FOUND: 'FW_NOT_FOUND',
};

/** Any thrown value as a CloudError: ours pass through, fastify's are mapped, the rest are internal. */
export function toCloudError(error: unknown): CloudError {
  if (error instanceof CloudError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: string;
    statusCode?: number;
    validation?: unknown;
    message?: string;
  };
  const mapped = fields.code === undefined ? undefined : FASTIFY_CODES[fields.code];
  if (mapped !== undefined) return new CloudError(mapped, fields.message ?? mapped, { cause: error });
  const status = fields.statusCode ?? 500;
  if (fields.validation !== undefined || (status >= 400 && status < 500)) {
    return new CloudError('FW_REQUEST_INVALID', fields.message ?? 'invalid request', { cause: error });
  }
  return new CloudError('FW_INTERNAL', 'internal error', { cause: error, canRetry: true });
}

export function errorBody(error: CloudError): ErrorBody {
  const retryable = error.canRetry || [409, 429, 503].includes(error.httpStatus);
  return { error: { code: error.code, reason: reasonOf(error.code), detail: error.message, retryable } };
}

export function retryAfterFor(status: number, seconds: RetryAfterSeconds): number | undefined {
  const byStatus: Record<number, number> = { 409: seconds.inProgress, 429: seconds.overloaded, 503: seconds.busUnavailable };
  return byStatus[status];
}

export function sendError(reply: FastifyReply, error: CloudError, seconds: RetryAfterSeconds): FastifyReply {
  const status = error.httpStatus;
  const retryAfter = retryAfterOf(error) ?? retryAfterFor(status, seconds);
  if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
  return reply.code(status).send(errorBody(error));
}

/** The root error and not-found handlers; a plugin may install its own that ends in `sendError`. */
export function installErrorReplies(app: FastifyInstance, seconds: RetryAfterSeconds): void {
  app.setErrorHandler((error, request, reply) => {
    const cloudError = toCloudError(error);
    logRefusal(request.log, cloudError);
    return sendError(reply, cloudError, seconds);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new CloudError('FW_NOT_FOUND', `no route ${request.method} ${request.url}`), seconds),
  );
}

export function logRefusal(log: FastifyInstance['log'], error: CloudError): void {
  const fields = { code: error.code, detail: error.message };
  if (error.httpStatus >= 500) log.error({ ...fields, err: error.cause ?? error }, 'http_request_failed');
  else log.info(fields, 'http_request_refused');
}
