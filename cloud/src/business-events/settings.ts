/**
 * The business events API's settings, with their documented defaults; the cloud config embeds
 * this schema under `businessEvents`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ClientEntrySchema } from './clients/client-file.js';

const Positive = (fallback: number, description: string) => Type.Integer({ minimum: 1, default: fallback, description });

export const BusinessEventsSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'serve POST /v1/events' }),
    /** JSON clients file (see clients/client-file.ts); default `{dataDir}/business-clients.json`. */
    clientsFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Clients given inline, in addition to the file's. */
    clients: Type.Array(ClientEntrySchema, { default: [] }),
    /** Key of the customer reference pseudonyms (pseudonyms.ts); default `{dataDir}/pseudonym.key`, created on first start. */
    pseudonymKeyFile: Type.Optional(Type.String({ minLength: 1 })),
    reloadIntervalMs: Positive(5000, "how often the clients file's mtime is checked (SIGHUP reloads at once)"),
    maxEventBytes: Positive(64 * 1024, 'request body (one event as JSON), bytes; larger ones answer 413'),
    maxDeadLetterBytes: Positive(64 * 1024, 'bytes of a refused body kept in its dead letter'),
    recentEventIds: Positive(100_000, 'event ids remembered after produce, to answer re-sends as duplicates'),
    recentEventIdsTtlMs: Positive(30 * 60_000, 'how long a produced event id is remembered'),
  },
  { additionalProperties: false, default: {} },
);

export type BusinessEventsSettings = Static<typeof BusinessEventsSettingsSchema>;
