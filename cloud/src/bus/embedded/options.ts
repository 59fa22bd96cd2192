/**
 * The embedded bus's options: one TypeBox schema with the documented defaults — the `bus`
 * section of the cloud config (composed in `../config-schema.ts`) and the one check of
 * `createEmbeddedBus`'s options.
 */
import { Type, type Static } from '@sinclair/typebox';
import { problemList } from '@fleetwire/protocol';
import { checkedOptions } from '../../checked-options.js';
import { CloudError } from '../../errors.js';

const Integer = (minimum: number, fallback: number, description: string) => Type.Integer({ minimum, default: fallback, description });

export const EmbeddedBusConfigSchema = Type.Object(
  {
    kind: Type.Literal('embedded'),
    /** SQLite file holding the whole log (WAL beside it). In the cloud config default `{dataDir}/bus.sqlite`; required here. */
    path: Type.Optional(Type.String({ minLength: 1 })),
    partitions: Integer(1, 4, 'Partitions of a topic when this bus creates it; an existing topic keeps its count.'),
    retentionMs: Integer(1, 7 * 24 * 3600_000, 'Records older than this are deleted (7 days).'),
    retentionBytes: Integer(1, 1024 ** 3, 'Per partition, the oldest records are deleted past this many bytes (1 GiB).'),
    retentionIntervalMs: Integer(1, 60_000, 'How often retention runs.'),
    maxBatchMessages: Integer(1, 500, 'Largest batch handed to a consumer.'),
    pollIntervalMs: Integer(1, 1000, 'Consumers are woken by produce at once; this is the idle re-check, for safety.'),
    retryInitialMs: Integer(0, 100, 'Delay before re-delivering a batch whose handler rejected; doubles per failure.'),
    retryMaxMs: Integer(0, 10_000, 'Upper bound of that delay.'),
    maxHandlerAttempts: Integer(1, 5, 'Attempts of a record whose handler fails with an error that cannot be retried, before it is dead-lettered.'),
  },
  { additionalProperties: false },
);

export type EmbeddedBusOptions = Static<typeof EmbeddedBusConfigSchema> & { path: string };
export type EmbeddedBusConfig = Partial<EmbeddedBusOptions> & { kind: 'embedded'; path: string };

export function resolveEmbeddedOptions(config: EmbeddedBusConfig): EmbeddedBusOptions {
  const options = checkedOptions(EmbeddedBusConfigSchema, config, 'FW_BUS_CONFIG_INVALID', 'embedded bus options');
  if (options.path === undefined) {
    throw new CloudError('FW_BUS_CONFIG_INVALID', problemList('embedded bus options', ['/path: required (the SQLite file of the log)']));
  }
  return { ...options, path: options.path };
}
