import { createOptionChecks } from '../option-checks.js';

export interface KafkaBusConfig {
  kind: 'kafka';
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Default `fleetwire-cloud`. */
  clientId?: string;
  /** Partitions of a topic this bus creates (a topic is created when first produced to or subscribed). Default 6. */
  partitions?: number;
  /** Replication factor of created topics; -1 (default) takes the broker's default.replication.factor. The test broker uses 1, a cluster 3. */
  replicationFactor?: number;
  /** Upper bound on one produce, so ingest answers 503 quickly while Kafka is down. Default 5 s. */
  produceTimeoutMs?: number;
  /** Per request (produce waits for acks=all within it). Default 4 s. */
  requestTimeoutMs?: number;
  /**
   * Upper bound of one produce request (keys, values, headers and per-record overhead):
   * concurrent produce calls are coalesced up to it, a larger call goes out in several. Keep it
   * under the broker's `message.max.bytes` (1 MiB by default). Default 1,000,000.
   */
  maxRequestBytes?: number;
  /** TCP connect timeout. Default 1 s. */
  connectionTimeoutMs?: number;
  /** Consumer group session timeout. Default 10 s. */
  sessionTimeoutMs?: number;
  /** Consumer heartbeat interval. Default 1 s. */
  heartbeatIntervalMs?: number;
  /** Delay before re-delivering a batch whose handler rejected; doubles per failure up to the max. Defaults 100 ms / 10 s. */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

export type KafkaBusOptions = Required<Omit<KafkaBusConfig, 'kind'>>;

export function resolveKafkaOptions(config: KafkaBusConfig): KafkaBusOptions {
  const check = createOptionChecks('FW_BUS_CONFIG_INVALID', 'kafka bus');
  return {
    brokers: check.textList('brokers', config.brokers),
    clientId: check.text('clientId', config.clientId, 'fleetwire-cloud'),
    partitions: check.integer('partitions', config.partitions, 6, 1),
    replicationFactor: check.integer('replicationFactor', config.replicationFactor, -1, -1),
    produceTimeoutMs: check.integer('produceTimeoutMs', config.produceTimeoutMs, 5000, 1),
    requestTimeoutMs: check.integer('requestTimeoutMs', config.requestTimeoutMs, 4000, 1),
    maxRequestBytes: check.integer('maxRequestBytes', config.maxRequestBytes, 1_000_000, 1),
    connectionTimeoutMs: check.integer('connectionTimeoutMs', config.connectionTimeoutMs, 1000, 1),
    sessionTimeoutMs: check.integer('sessionTimeoutMs', config.sessionTimeoutMs, 10_000, 1),
    heartbeatIntervalMs: check.integer('heartbeatIntervalMs', config.heartbeatIntervalMs, 1000, 1),
    retryInitialMs: check.integer('retryInitialMs', config.retryInitialMs, 100, 0),
    retryMaxMs: check.integer('retryMaxMs', config.retryMaxMs, 10_000, 0),
  };
}
