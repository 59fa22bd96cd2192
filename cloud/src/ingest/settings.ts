/**
 * Ingest's tuning, with its documented defaults. The cloud config embeds this schema under
 * `ingest`; tests and other callers pass a partial object and get the same defaults.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { problemList, schemaProblems } from '@fleetwire/protocol';
import { CloudError } from '../errors.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const Positive = (fallback: number, description: string) => Type.Integer({ minimum: 1, default: fallback, description });
const Seconds = (fallback: number) => Type.Integer({ minimum: 0, default: fallback });

export const IngestSettingsSchema = Type.Object(
  {
    maxBodyBytes: Positive(8 * MIB, 'request body as sent (gzip), bytes'),
    maxDecompressedBytes: Positive(32 * MIB, 'decompressed NDJSON, bytes; decoding stops past this (no zip bombs)'),
    maxRecords: Positive(10_000, 'records per batch'),
    maxDeadLetterBytes: Positive(
      512 * KIB,
      "bytes of the original kept in a dead letter (Kafka's default message limit is 1 MB); the rest is cut and flagged",
    ),
    maxInFlight: Positive(8, 'batches being produced at once'),
    maxQueued: Type.Integer({ minimum: 0, default: 32, description: 'batches waiting for a produce slot before 429' }),
    idempotencyKeys: Positive(20_000, 'idempotency keys remembered with their answers'),
    idempotencyTtlMs: Positive(30 * 60_000, "how long an answer is remembered (≥ the edge's longest back-off)"),
    recentRecordIds: Positive(200_000, 'record ids remembered after produce, to skip re-sent records'),
    recentRecordIdsTtlMs: Positive(30 * 60_000, 'how long a produced record id is remembered'),
    retryAfterSeconds: Type.Object(
      { busUnavailable: Seconds(5), overloaded: Seconds(1), inProgress: Seconds(1) },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type IngestSettings = Static<typeof IngestSettingsSchema>;

export type IngestSettingsInput = Partial<Omit<IngestSettings, 'retryAfterSeconds'>> & {
  retryAfterSeconds?: Partial<IngestSettings['retryAfterSeconds']>;
};

export function resolveIngestSettings(input: IngestSettingsInput = {}): IngestSettings {
  const value = Value.Default(IngestSettingsSchema, structuredClone(input));
  if (!Value.Check(IngestSettingsSchema, value)) {
    throw new CloudError('FW_CONFIG_INVALID', problemList('ingest settings', schemaProblems(IngestSettingsSchema, value)));
  }
  return value;
}
