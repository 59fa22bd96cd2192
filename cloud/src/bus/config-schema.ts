/**
 * The `bus` section of the cloud config as JSON schemas, one per kind, so that a config file's
 * bus options are checked — unknown keys refused — together with the rest of the config. The
 * factories still resolve their options and defaults (`kafka/options.ts`, `embedded/options.ts`);
 * the type checks at the end fail to compile when an option is added there and not here.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { EmbeddedBusConfig } from './embedded/options.js';
import type { KafkaBusConfig } from './kafka/options.js';

const Integer = (minimum: number) => Type.Optional(Type.Integer({ minimum }));

export const EmbeddedBusConfigSchema = Type.Object(
  {
    kind: Type.Literal('embedded'),
    /** Default `{dataDir}/bus.sqlite`. */
    path: Type.Optional(Type.String({ minLength: 1 })),
    partitions: Integer(1),
    retentionMs: Integer(1),
    retentionBytes: Integer(1),
    retentionIntervalMs: Integer(1),
    maxBatchMessages: Integer(1),
    pollIntervalMs: Integer(1),
    retryInitialMs: Integer(0),
    retryMaxMs: Integer(0),
  },
  { additionalProperties: false },
);

export const KafkaBusConfigSchema = Type.Object(
  {
    kind: Type.Literal('kafka'),
    brokers: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    clientId: Type.Optional(Type.String({ minLength: 1 })),
    partitions: Integer(1),
    replicationFactor: Integer(-1),
    produceTimeoutMs: Integer(1),
    requestTimeoutMs: Integer(1),
    maxRequestBytes: Integer(1),
    connectionTimeoutMs: Integer(1),
    sessionTimeoutMs: Integer(1),
    heartbeatIntervalMs: Integer(1),
    retryInitialMs: Integer(0),
    retryMaxMs: Integer(0),
  },
  { additionalProperties: false },
);

/** By `kind`, for naming the problems of the branch a config meant. */
export const BUS_CONFIG_SCHEMAS = { embedded: EmbeddedBusConfigSchema, kafka: KafkaBusConfigSchema } as const;

export const BusConfigSchema = Type.Union([EmbeddedBusConfigSchema, KafkaBusConfigSchema], { default: { kind: 'embedded' } });

// The schemas name exactly the options of the factories' config types.
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
type Holds<T extends true> = T;
export type _BusSchemasMatchOptions = [
  Holds<SameKeys<Static<typeof EmbeddedBusConfigSchema>, EmbeddedBusConfig>>,
  Holds<SameKeys<Static<typeof KafkaBusConfigSchema>, KafkaBusConfig>>,
];
