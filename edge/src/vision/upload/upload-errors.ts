/**
 * The photo API's one error table: every refusal is an EdgeError code mapped to an HTTP status
 * and a snake_case reason the app can act on. Image reasons are the protocol's reason codes
 * (they also label the quarantine rows). Anything not in the table is a 500 `internal_error`.
 * The body has the cloud's shape, `{ error: { code, reason, detail, retryable, photo? } }`, so
 * one client-side error handler serves both; 503s carry Retry-After.
 */
import { EdgeError, type EdgeErrorCode } from '../../errors.js';

export interface UploadErrorEntry {
  status: number;
  reason: string;
}

export const UPLOAD_ERRORS = {
  FW_UPLOAD_INVALID: { status: 400, reason: 'request_invalid' },
  FW_UPLOAD_NO_PHOTOS: { status: 400, reason: 'no_photos' },
  FW_UPLOAD_UNAUTHORIZED: { status: 401, reason: 'unauthorized' },
  FW_UPLOAD_FORBIDDEN: { status: 403, reason: 'forbidden' },
  FW_UPLOAD_RETURN_UNKNOWN: { status: 404, reason: 'return_unknown' },
  FW_VISION_RETURN_BUSY: { status: 409, reason: 'return_in_progress' },
  FW_UPLOAD_TOO_MANY_PHOTOS: { status: 413, reason: 'too_many_photos' },
  FW_UPLOAD_PHOTO_TOO_LARGE: { status: 413, reason: 'payload_too_large' },
  FW_VISION_IMAGE_UNSUPPORTED: { status: 415, reason: 'image_unsupported' },
  FW_VISION_IMAGE_TRUNCATED: { status: 422, reason: 'image_truncated' },
  FW_VISION_IMAGE_INVALID: { status: 422, reason: 'image_corrupt' },
  FW_VISION_IMAGE_TOO_LARGE: { status: 422, reason: 'image_too_large' },
  FW_VISION_OVERLOADED: { status: 503, reason: 'vision_busy' },
  FW_BUFFER_FULL: { status: 503, reason: 'buffer_full' },
  FW_BUFFER_CLOSED: { status: 503, reason: 'shutting_down' },
} as const satisfies Partial<Record<EdgeErrorCode, UploadErrorEntry>>;

export type UploadErrorCode = keyof typeof UPLOAD_ERRORS;
export type UploadRefusalReason = (typeof UPLOAD_ERRORS)[UploadErrorCode]['reason'] | 'internal_error';

/** Errors @fastify/multipart (and busboy below it) raise while the body is read. */
const MULTIPART_CODES: Readonly<Record<string, UploadErrorCode>> = {
  FST_FILES_LIMIT: 'FW_UPLOAD_TOO_MANY_PHOTOS',
  FST_REQ_FILE_TOO_LARGE: 'FW_UPLOAD_PHOTO_TOO_LARGE',
  FST_PARTS_LIMIT: 'FW_UPLOAD_INVALID',
  FST_FIELDS_LIMIT: 'FW_UPLOAD_INVALID',
  FST_PROTO_VIOLATION: 'FW_UPLOAD_INVALID',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'FW_UPLOAD_INVALID',
  FST_INVALID_JSON_FIELD_ERROR: 'FW_UPLOAD_INVALID',
};

/** Turns an error raised while the multipart body is read into the EdgeError it stands for. */
export function fromMultipartError(error: unknown): unknown {
  if (error instanceof EdgeError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const mapped = typeof code === 'string' ? MULTIPART_CODES[code] : undefined;
  if (mapped !== undefined) return new EdgeError(mapped, (error as Error).message, { cause: error });
  // busboy reports a malformed body ("Unexpected end of form", "Malformed part header") untyped.
  if (error instanceof Error && code === undefined) return new EdgeError('FW_UPLOAD_INVALID', `malformed multipart body: ${error.message}`, { cause: error });
  return error;
}

/** An error nobody mapped: the answer says nothing of it beyond "try again". */
const INTERNAL_CODE = 'FW_INTERNAL';

export interface UploadErrorBody {
  error: { code: UploadErrorCode | typeof INTERNAL_CODE; reason: UploadRefusalReason; detail: string; retryable: boolean; photo?: number };
}

export interface UploadErrorAnswer {
  status: number;
  body: UploadErrorBody;
  retryAfterS?: number;
}

export function uploadErrorAnswer(error: unknown, photo?: number): UploadErrorAnswer {
  const entry = error instanceof EdgeError && error.code in UPLOAD_ERRORS ? UPLOAD_ERRORS[error.code as UploadErrorCode] : undefined;
  if (entry === undefined) {
    return { status: 500, body: { error: { code: INTERNAL_CODE, reason: 'internal_error', detail: 'the return could not be verified; try again', retryable: true } } };
  }
  const edgeError = error as EdgeError;
  const retryable = edgeError.canRetry || entry.status === 503 || entry.status === 409;
  return {
    status: entry.status,
    body: { error: { code: edgeError.code as UploadErrorCode, reason: entry.reason, detail: edgeError.message, retryable, ...(photo === undefined ? {} : { photo }) } },
    ...(entry.status === 503 ? { retryAfterS: 5 } : {}),
  };
}

export const UPLOAD_ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'reason', 'detail', 'retryable'],
      properties: {
        code: { type: 'string', description: 'EdgeError code, e.g. FW_VISION_IMAGE_TRUNCATED; FW_INTERNAL for an unexpected failure' },
        reason: { type: 'string', description: 'snake_case reason the app acts on (image reasons are the protocol reason codes)' },
        detail: { type: 'string', description: 'what was wrong, for a person' },
        retryable: { type: 'boolean', description: 'true when the same upload may succeed later (409, 503, 500)' },
        photo: { type: 'integer', description: 'index of the refused photo, when one photo was refused' },
      },
    },
  },
} as const;
