/**
 * The cloud's bus: keyed, durable, partitioned topics with consumer groups. Two implementations
 * serve the same contract (and pass the same conformance suite, `conformance.ts`):
 * - `kafka`    — Apache Kafka, for fleets that outgrow one machine;
 * - `embedded` — a durable log in SQLite, so one box runs with no external servers.
 *
 * Contract kept by both:
 * - `produce` resolves only once every message is durably stored (Kafka acks=all with the
 *   idempotent producer / the SQLite transaction committed); otherwise it rejects with a
 *   CloudError `FW_BUS_UNAVAILABLE` (canRetry) within a bounded time, or `FW_BUS_CLOSED`.
 * - Messages with the same key land in the same partition, so per-key order holds.
 * - A consumer group commits a batch's offsets only after `handle` resolved for it; a rejected
 *   `handle` gets the same records again (at-least-once), so handlers are idempotent by `fw-id`.
 */
import type { Logger } from 'pino';
import { CloudError } from '../errors.js';
import { createEmbeddedBus, type EmbeddedBusConfig } from './embedded/index.js';
import { createKafkaBus, type KafkaBusConfig } from './kafka/index.js';

export interface BusMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface DeliveredMessage extends BusMessage {
  partition: number;
  /** Decimal string, as Kafka offsets exceed 2^53 in principle. */
  offset: string;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: the oldest record (true) or the end (false, default). */
  fromBeginning?: boolean;
  /** Called with records of one partition, in offset order. Resolve to commit; reject to get them again. */
  handle(batch: DeliveredMessage[], progress: HandlerProgress): Promise<void>;
}

export interface HandlerProgress {
  /**
   * Tells the group the member is alive. A handler that may run longer than the group's session
   * (many sequential writes) calls it between steps, or Kafka evicts the member and re-delivers
   * the batch to another. No-op where there are no sessions (the embedded log).
   */
  heartbeat(): Promise<void>;
}

export interface Bus {
  /** Resolves only once every message is durably stored (Kafka acks=all / embedded log committed). Throws CloudError FW_BUS_UNAVAILABLE (canRetry) when it cannot. */
  produce(messages: readonly BusMessage[]): Promise<void>;
  /** Consumer group; offsets are committed only after `handle` resolved for a batch; a rejected handle is retried. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** For /readyz. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export type BusConfig = KafkaBusConfig | EmbeddedBusConfig;
export type { KafkaBusConfig, EmbeddedBusConfig };

/** Process-level collaborators, not configuration. */
export interface BusDependencies {
  logger?: Logger;
}

type BusFactory<C extends BusConfig> = (config: C, dependencies: BusDependencies) => Bus;

const BUS_FACTORIES: { [K in BusConfig['kind']]: BusFactory<Extract<BusConfig, { kind: K }>> } = {
  kafka: createKafkaBus,
  embedded: createEmbeddedBus,
};

export function createBus(config: BusConfig, dependencies: BusDependencies = {}): Bus {
  const factory = BUS_FACTORIES[config.kind] as BusFactory<BusConfig> | undefined;
  if (factory === undefined) {
    throw new CloudError('FW_BUS_CONFIG_INVALID', `unknown bus kind: ${String((config as { kind: unknown }).kind)}`);
  }
  return factory(config, dependencies);
}
