import { createOptionChecks } from '../option-checks.js';

export interface EmbeddedBusConfig {
  kind: 'embedded';
  /** SQLite file holding the whole log (WAL beside it). */
  path: string;
  /** Partitions of a topic when this bus creates it; an existing topic keeps its count. Default 4. */
  partitions?: number;
  /** Records older than this are deleted. Default 7 days. */
  retentionMs?: number;
  /** Per partition, the oldest records are deleted past this many bytes (key + value + headers). Default 1 GiB. */
  retentionBytes?: number;
  /** How often retention runs. Default 60 s. */
  retentionIntervalMs?: number;
  /** Largest batch handed to a consumer. Default 500. */
  maxBatchMessages?: number;
  /** Consumers are woken by produce at once; this is the idle re-check, for safety. Default 1 s. */
  pollIntervalMs?: number;
  /** Delay before re-delivering a batch whose handler rejected; doubles per failure up to the max. Defaults 100 ms / 10 s. */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

export type EmbeddedBusOptions = Required<Omit<EmbeddedBusConfig, 'kind'>>;

export function resolveEmbeddedOptions(config: EmbeddedBusConfig): EmbeddedBusOptions {
  const check = createOptionChecks('FW_BUS_CONFIG_INVALID', 'embedded bus');
  return {
    path: check.text('path', config.path),
    partitions: check.integer('partitions', config.partitions, 4, 1),
    retentionMs: check.integer('retentionMs', config.retentionMs, 7 * 24 * 3600_000, 1),
    retentionBytes: check.integer('retentionBytes', config.retentionBytes, 1024 ** 3, 1),
    retentionIntervalMs: check.integer('retentionIntervalMs', config.retentionIntervalMs, 60_000, 1),
    maxBatchMessages: check.integer('maxBatchMessages', config.maxBatchMessages, 500, 1),
    pollIntervalMs: check.integer('pollIntervalMs', config.pollIntervalMs, 1000, 1),
    retryInitialMs: check.integer('retryInitialMs', config.retryInitialMs, 100, 0),
    retryMaxMs: check.integer('retryMaxMs', config.retryMaxMs, 10_000, 0),
  };
}
