/**
 * JSON schemas of the ingest routes. Fastify validates requests and serialises answers with
 * them, and @fastify/swagger turns them into the OpenAPI document, so the docs cannot drift
 * from what the server does.
 */
import { Type, type Static } from '@sinclair/typebox';

export const RejectedRecordSchema = Type.Object({
  /** The record's id, or `line:{n}` when the line is too broken to have one. */
  id: Type.String(),
  reason: Type.String({ description: 'protocol reason code, e.g. schema_violation, device_not_allowed' }),
  detail: Type.String(),
});

export const BatchAnswerSchema = Type.Object(
  {
    accepted: Type.Integer({ minimum: 0, description: 'records now durably on the bus' }),
    duplicates: Type.Integer({ minimum: 0, description: 'records whose ids this ingest already stored' }),
    rejected: Type.Array(RejectedRecordSchema, { description: 'records dead-lettered with their bytes; not to be retried' }),
  },
  { description: 'The batch is durably stored: accepted records on their topics, rejected ones on fleetwire.dlq' },
);

export type BatchAnswer = Static<typeof BatchAnswerSchema>;
export type RejectedRecord = Static<typeof RejectedRecordSchema>;

export const ErrorBodySchema = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'CloudError code, e.g. FW_BATCH_CORRUPT' }),
    reason: Type.String({ description: 'the code in snake_case; protocol reason code for batch errors' }),
    detail: Type.String(),
    retryable: Type.Boolean({ description: 'true when the same request may succeed later (409, 429, 503, 500)' }),
  }),
});

export const BatchHeadersSchema = Type.Object({
  authorization: Type.Optional(Type.String({ description: 'Bearer {node token}; omit when using a client certificate' })),
  'content-type': Type.String({ description: 'application/x-ndjson' }),
  'content-encoding': Type.Optional(Type.Union([Type.Literal('gzip'), Type.Literal('identity')])),
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'the batchId; a repeat answers the stored answer' }),
  ),
});

const error = (description: string) => ({ ...ErrorBodySchema, description });

export const postBatchSchema = {
  summary: 'Send a batch of FleetRecords from an edge node',
  description:
    'Body: gzip of NDJSON — a header line {batchId,nodeId,createdAt,count}, then one FleetRecord per line. ' +
    'Answers 2xx only after every accepted record and every dead letter is durably on the bus.',
  tags: ['ingest'],
  security: [{ nodeToken: [] as string[] }],
  headers: BatchHeadersSchema,
  response: {
    200: BatchAnswerSchema,
    400: error('batch_corrupt (the raw body is dead-lettered) or an invalid request'),
    401: error('missing, unknown or revoked credential'),
    403: error('node_mismatch (header nodeId is not the caller) or device_not_allowed for every record'),
    409: error('the same idempotency key is being processed now; retry after retry-after'),
    413: error('batch_too_large: body, decompressed size or record count over the limits'),
    415: error('unsupported content type'),
    429: error('ingest_overloaded; retry after retry-after'),
    503: error('bus_unavailable; retry after retry-after'),
  },
};
