/**
 * The Kafka bus's options: one TypeBox schema with the documented defaults. It is both the
 * `bus` section of the cloud config (composed in `../config-schema.ts`) and the one check of
 * `createKafkaBus`'s options. Secrets (SASL password, client key passphrase) are named here by
 * where to read them — a file or an environment variable — and read by `secrets.ts`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { checkedOptions } from '../../checked-options.js';

const Integer = (minimum: number, fallback: number, description: string) => Type.Integer({ minimum, default: fallback, description });

/** A secret: `{ "file": "/run/secrets/kafka-password" }`, `{ "env": "KAFKA_PASSWORD" }`, or inline `{ "value": "…" }` (tests). */
export const SecretSchema = Type.Union([
  Type.Object({ file: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ env: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ value: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
]);
export type Secret = Static<typeof SecretSchema>;

export const KafkaTlsSchema = Type.Object(
  {
    /** PEM bundle of the CAs that sign the brokers' certificates; default: Node's public roots (managed services). */
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Client certificate and key (PEM) for brokers that ask for one (mutual TLS). */
    certFile: Type.Optional(Type.String({ minLength: 1 })),
    keyFile: Type.Optional(Type.String({ minLength: 1 })),
    keyPassphrase: Type.Optional(SecretSchema),
    /** Name checked against the broker certificate (and sent as SNI) instead of the host of each address. */
    serverName: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const KafkaSaslSchema = Type.Object(
  {
    mechanism: Type.Union([Type.Literal('scram-sha-256'), Type.Literal('scram-sha-512'), Type.Literal('plain')]),
    username: Type.String({ minLength: 1 }),
    password: SecretSchema,
  },
  { additionalProperties: false },
);

export const CLEANUP_POLICIES = ['delete', 'compact', 'compact,delete'] as const;

/** One topic's layout; every field optional: what is left out follows the topic's use (`topic-layout.ts`). */
export const TopicSettingsSchema = Type.Object(
  {
    /** The name in Kafka; default `{prefix}{logical name}`. */
    name: Type.Optional(Type.String({ minLength: 1 })),
    partitions: Type.Optional(Type.Integer({ minimum: 1 })),
    /** -1 takes the broker's default.replication.factor. */
    replicationFactor: Type.Optional(Type.Integer({ minimum: -1 })),
    retentionMs: Type.Optional(Type.Integer({ minimum: -1 })),
    cleanupPolicy: Type.Optional(Type.Union(CLEANUP_POLICIES.map((p) => Type.Literal(p)))),
    minInsyncReplicas: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type TopicSettings = Static<typeof TopicSettingsSchema>;

export const KafkaTopicsSchema = Type.Object(
  {
    /** Put before every logical topic name, e.g. `prod.` or `staging.`, so environments can share a cluster. */
    prefix: Type.String({ default: '' }),
    /** Create missing topics at start (needs the right to create topics). false: only check, and name what is missing. */
    create: Type.Boolean({ default: true }),
    /** Per logical topic (`fleetwire.telemetry.vehicle`, `fleetwire.events`, `fleetwire.dlq`, …). */
    settings: Type.Record(Type.String({ minLength: 1 }), TopicSettingsSchema, { default: {} }),
  },
  { additionalProperties: false, default: {} },
);

export const KafkaBusConfigSchema = Type.Object(
  {
    kind: Type.Literal('kafka'),
    /** Bootstrap brokers, `host:port`. */
    brokers: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    clientId: Type.String({ minLength: 1, default: 'fleetwire-cloud' }),
    /** TLS towards the brokers; absent = plaintext. `{}` = TLS with the public root CAs. */
    tls: Type.Optional(KafkaTlsSchema),
    /** SASL authentication (over TLS unless `tls` is absent). */
    sasl: Type.Optional(KafkaSaslSchema),
    topics: KafkaTopicsSchema,
    partitions: Integer(1, 6, 'Partitions of a topic whose settings do not say (telemetry, events, unknown topics).'),
    replicationFactor: Integer(-1, -1, "Replication factor of created topics; -1 takes the broker's default.replication.factor."),
    produceTimeoutMs: Integer(1, 5000, 'Upper bound on one produce, so ingest answers 503 quickly while Kafka is down.'),
    requestTimeoutMs: Integer(1, 4000, 'Per request (produce waits for acks=all within it).'),
    maxRequestBytes: Integer(1, 1_000_000, "Upper bound of one produce request; keep it under the broker's message.max.bytes."),
    connectionTimeoutMs: Integer(1, 1000, 'TCP (and TLS) connect timeout.'),
    sessionTimeoutMs: Integer(1, 10_000, 'Consumer group session timeout.'),
    heartbeatIntervalMs: Integer(1, 1000, 'Consumer heartbeat interval.'),
    fetchMaxWaitMs: Integer(1, 500, "How long the broker may hold a consumer's fetch when there is nothing new; a stopping consumer waits for the fetch in flight."),
    retryInitialMs: Integer(0, 100, 'Delay before re-delivering a batch whose handler rejected; doubles per failure.'),
    retryMaxMs: Integer(0, 10_000, 'Upper bound of that delay.'),
    maxHandlerAttempts: Integer(1, 5, 'Attempts of a record whose handler fails with an error that cannot be retried, before it is dead-lettered.'),
  },
  { additionalProperties: false },
);

/** What a caller gives (defaults may be left out). */
export type KafkaBusConfig = Omit<Partial<KafkaBusOptions>, 'topics'> & {
  kind: 'kafka';
  brokers: string[];
  topics?: Partial<KafkaBusOptions['topics']>;
};
/** Every option resolved. */
export type KafkaBusOptions = Static<typeof KafkaBusConfigSchema>;

export function resolveKafkaOptions(config: KafkaBusConfig): KafkaBusOptions {
  return checkedOptions(KafkaBusConfigSchema, config, 'FW_BUS_CONFIG_INVALID', 'kafka bus options');
}
