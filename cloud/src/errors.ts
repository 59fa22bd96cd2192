/**
 * The cloud's error codes, in one const list (the type is derived from it), the HTTP status of
 * each code in one table, and the cloud's error class on the shared base (`CodedError`: `code`,
 * `cause`, `canRetry`).
 */
import { CodedError } from '@fleetwire/protocol';

export const CLOUD_ERROR_CODES = [
  // bus
  'FW_BUS_UNAVAILABLE',
  'FW_BUS_CLOSED',
  'FW_BUS_CONFIG_INVALID',
  'FW_BUS_MESSAGE_INVALID',
  'FW_BUS_AUTH_FAILED',
  'FW_BUS_TLS_FAILED',
  'FW_BUS_TOPICS_MISSING',
  // sinks
  'FW_TSDB_WRITE_FAILED',
  'FW_TSDB_QUERY_FAILED',
  'FW_SINK_CONFIG_INVALID',
  // audit trail
  'FW_AUDIT_WRITE_FAILED',
  // return saga
  'FW_RETURNS_WRITE_FAILED',
  'FW_PAYMENT_WEBHOOK_FAILED',
  // ingest: authentication and authorisation
  'FW_AUTH_MISSING',
  'FW_AUTH_INVALID',
  'FW_AUTH_REVOKED',
  'FW_NODE_MISMATCH',
  // ingest: the request and the batch
  'FW_REQUEST_INVALID',
  'FW_UNSUPPORTED_MEDIA_TYPE',
  'FW_NOT_FOUND',
  'FW_BATCH_CORRUPT',
  'FW_BATCH_TOO_LARGE',
  'FW_BATCH_IN_PROGRESS',
  // ingest: capacity
  'FW_INGEST_OVERLOADED',
  'FW_RATE_LIMITED',
  // business events API: one event refused (the body is dead-lettered, except when too large)
  'FW_EVENT_INVALID',
  'FW_EVENT_TYPE_NOT_ALLOWED',
  'FW_EVENT_SOURCE_MISMATCH',
  'FW_EVENT_SUBJECT_MISMATCH',
  'FW_EVENT_TOO_LARGE',
  // commands to vehicles
  'FW_COMMAND_INVALID',
  'FW_COMMAND_TYPE_NOT_ALLOWED',
  'FW_COMMAND_CONFLICT',
  'FW_COMMAND_NOT_FOUND',
  // service
  'FW_CONFIG_INVALID',
  'FW_AUTH_FILE_INVALID',
  'FW_INTERNAL',
] as const;

export type CloudErrorCode = (typeof CLOUD_ERROR_CODES)[number];

/** HTTP status answered when an error of this code reaches a route. */
export const HTTP_STATUS: Record<CloudErrorCode, number> = {
  FW_BUS_UNAVAILABLE: 503,
  FW_BUS_CLOSED: 503,
  FW_BUS_CONFIG_INVALID: 500,
  FW_BUS_MESSAGE_INVALID: 500,
  FW_BUS_AUTH_FAILED: 503,
  FW_BUS_TLS_FAILED: 503,
  FW_BUS_TOPICS_MISSING: 503,
  FW_TSDB_WRITE_FAILED: 503,
  FW_TSDB_QUERY_FAILED: 503,
  FW_SINK_CONFIG_INVALID: 500,
  FW_AUDIT_WRITE_FAILED: 503,
  FW_RETURNS_WRITE_FAILED: 503,
  FW_PAYMENT_WEBHOOK_FAILED: 502,
  FW_AUTH_MISSING: 401,
  FW_AUTH_INVALID: 401,
  FW_AUTH_REVOKED: 401,
  FW_NODE_MISMATCH: 403,
  FW_REQUEST_INVALID: 400,
  FW_UNSUPPORTED_MEDIA_TYPE: 415,
  FW_NOT_FOUND: 404,
  FW_BATCH_CORRUPT: 400,
  FW_BATCH_TOO_LARGE: 413,
  FW_BATCH_IN_PROGRESS: 409,
  FW_INGEST_OVERLOADED: 429,
  FW_RATE_LIMITED: 429,
  FW_EVENT_INVALID: 400,
  FW_EVENT_TYPE_NOT_ALLOWED: 403,
  FW_EVENT_SOURCE_MISMATCH: 403,
  FW_EVENT_SUBJECT_MISMATCH: 400,
  FW_EVENT_TOO_LARGE: 413,
  FW_COMMAND_INVALID: 400,
  FW_COMMAND_TYPE_NOT_ALLOWED: 403,
  FW_COMMAND_CONFLICT: 409,
  FW_COMMAND_NOT_FOUND: 404,
  FW_CONFIG_INVALID: 500,
  FW_AUTH_FILE_INVALID: 500,
  FW_INTERNAL: 500,
};

/**
 * The `reason` of an HTTP error body: the code without its prefix, in snake_case. For batch
 * errors this is exactly the protocol's reason code (`batch_corrupt`, `batch_too_large`,
 * `device_not_allowed`), so edge and cloud count the same words.
 */
export function reasonOf(code: CloudErrorCode): string {
  return code.slice('FW_'.length).toLowerCase();
}

export class CloudError extends CodedError<CloudErrorCode> {
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}
