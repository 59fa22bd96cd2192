/**
 * The `bus` section of the cloud config: the union of the schemas each implementation owns
 * (`embedded/options.ts`, `kafka/options.ts`), so a config file's bus options are checked —
 * unknown keys refused, defaults filled — by the same schema as the factories' options.
 */
import { Type, type Static } from '@sinclair/typebox';
import { EmbeddedBusConfigSchema, type EmbeddedBusConfig } from './embedded/options.js';
import { KafkaBusConfigSchema, type KafkaBusConfig } from './kafka/options.js';

export { EmbeddedBusConfigSchema, KafkaBusConfigSchema };
export type { EmbeddedBusConfig, KafkaBusConfig };

/** By `kind`, for naming the problems of the branch a config meant. */
export const BUS_CONFIG_SCHEMAS = { embedded: EmbeddedBusConfigSchema, kafka: KafkaBusConfigSchema } as const;

export const BusConfigSchema = Type.Union([EmbeddedBusConfigSchema, KafkaBusConfigSchema], { default: { kind: 'embedded' } });
export type BusSection = Static<typeof BusConfigSchema>;

/** What the bus factory takes. */
export type BusConfig = KafkaBusConfig | EmbeddedBusConfig;
