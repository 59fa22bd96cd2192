/**
 * The photo API's OpenAPI description, beside the routes that use it: each route's schema (which
 * fastify also validates and serialises with) names the return token it needs and every answer it
 * gives. The refusals come from the one error table, so a reason is documented where it is mapped.
 * @fastify/swagger (registered by http/server.ts) turns these into `GET /openapi.json`.
 */
import { RETURN_ANSWER_SCHEMA } from '../returns/return-answer.js';
import { UPLOAD_ERROR_SCHEMA, UPLOAD_ERRORS, type UploadErrorCode } from './upload-errors.js';

export const RETURN_TOKEN_SCHEME = 'returnToken';

/** The security schemes the photo routes name, for the OpenAPI document's components. */
export const PHOTO_API_SECURITY_SCHEMES = {
  [RETURN_TOKEN_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'Return token issued by the booking system when the rental ends: a JWT signed with its private key ' +
      '(EdDSA or ES256, `kid` naming the key in the edge\'s `vision.returnTokenKeysFile`), with claims `aud: "fleetwire-return"`, `returnId` (must be the ' +
      'URL\'s), `bookingId`, `vehicleId`, optional `tripId`, and `exp` (seconds). The verdict is recorded ' +
      'under the token\'s ids, never the body\'s.',
  },
} as const;

/** protocol EntityId; the routes also check it in onRequest, before the token. */
export const RETURN_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

const RETURN_ID_PARAMS = {
  type: 'object',
  required: ['returnId'],
  properties: { returnId: { type: 'string', pattern: RETURN_ID_PATTERN, description: 'the return, as named in the token' } },
} as const;

/** Answers besides the error table's: 500 is whatever nobody mapped. */
const INTERNAL = { 500: 'internal_error: the return could not be verified; try again (retryable)' } as const;

/** One response entry per status the codes map to, naming their reasons. */
function refusals(codes: readonly UploadErrorCode[]): Record<number, object> {
  const reasons = new Map<number, string[]>();
  for (const code of codes) {
    const { status, reason } = UPLOAD_ERRORS[code];
    reasons.set(status, [...(reasons.get(status) ?? []), reason]);
  }
  const described: Array<[number, string]> = [...reasons].map(([status, names]) => [
    status,
    `${names.join(', ')}${status === 503 ? ' (retryable; Retry-After: 5)' : status === 409 ? ' (retryable)' : ''}`,
  ]);
  described.push([500, INTERNAL[500]]);
  return Object.fromEntries(described.map(([status, description]) => [status, { ...UPLOAD_ERROR_SCHEMA, description }]));
}

const UPLOAD_CODES = (Object.keys(UPLOAD_ERRORS) as UploadErrorCode[]).filter((code) => code !== 'FW_UPLOAD_RETURN_UNKNOWN');
const VERDICT_CODES: readonly UploadErrorCode[] = ['FW_UPLOAD_INVALID', 'FW_UPLOAD_UNAUTHORIZED', 'FW_UPLOAD_FORBIDDEN', 'FW_UPLOAD_RETURN_UNKNOWN'];

const common = { tags: ['return photos'], security: [{ [RETURN_TOKEN_SCHEME]: [] }], params: RETURN_ID_PARAMS } as const;

export const UPLOAD_ROUTE_SCHEMA = {
  ...common,
  summary: 'Upload the photos of a return and get its verdict',
  description:
    'One multipart/form-data request per return: one file part per photo (JPEG, PNG or WebP, judged by ' +
    'content), at most `vision.limits.maxPhotos` files of at most `vision.limits.maxPhotoBytes` each. The ' +
    'first refused photo ends the upload and the error names it (`photo`). Idempotent per return: ' +
    'repeating the upload of a verified return (a retry after a lost answer) verifies nothing again ' +
    'and answers the stored verdict with `replayed: true`; while the first upload is still being ' +
    'verified a repeat gets 409 return_in_progress.',
  response: { 200: { ...RETURN_ANSWER_SCHEMA, description: 'the verdict' }, ...refusals(UPLOAD_CODES) },
} as const;

export const VERDICT_ROUTE_SCHEMA = {
  ...common,
  summary: 'Read the verdict of a verified return',
  description: 'The answer the upload got, as it was first sent (`replayed: false`), with the same token.',
  response: { 200: { ...RETURN_ANSWER_SCHEMA, description: 'the stored verdict' }, ...refusals(VERDICT_CODES) },
} as const;

/**
 * The upload's body, for the document only: @fastify/multipart streams the parts (the route
 * reads them itself), so fastify must not validate a body schema against them.
 */
const UPLOAD_BODY = {
  type: 'object',
  required: ['photo'],
  properties: {
    photo: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'one file part per photo; any field name' },
    bookingId: { type: 'string', description: 'optional; refused (403) unless it matches the token' },
    vehicleId: { type: 'string', description: 'optional; refused (403) unless it matches the token' },
    tripId: { type: 'string', description: 'optional; refused (403) unless it matches the token' },
  },
} as const;

/** Route config for the upload: @fastify/swagger documents the multipart body through it. */
export const UPLOAD_ROUTE_CONFIG = {
  swaggerTransform: ({ schema, url }: { schema: object; url: string }) => ({
    schema: { ...schema, consumes: ['multipart/form-data'], body: UPLOAD_BODY },
    url,
  }),
};
