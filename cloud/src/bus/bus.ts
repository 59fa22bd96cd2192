/**
 * The cloud's bus contract: keyed, durable, partitioned topics with consumer groups. Types only —
 * the implementations (`kafka/`, `embedded/`) import this file, and `create-bus.ts` wires them;
 * nothing here imports an implementation. Both pass the same conformance suite
 * (`cloud/test/support/bus-conformance.ts`); docs/bus.md is the decision record.
 *
 * Contract kept by both:
 * - `produce` resolves only once every message is durably stored (Kafka acks=all with the
 *   idempotent producer / the SQLite transaction committed); otherwise it rejects with a
 *   CloudError `FW_BUS_UNAVAILABLE` (canRetry) within a bounded time, or `FW_BUS_CLOSED`.
 * - Messages with the same key land in the same partition, so per-key order holds.
 * - A consumer group commits a batch's offsets only after `handle` resolved for it; a rejected
 *   `handle` gets the same records again (at-least-once), so handlers are idempotent by `fw-id`.
 *   A handler may hold the commit (`{ commit: false }`) and skip ahead (`{ resumeAt }`): `HandledBatch`.
 * - Poison records: a handler that keeps failing with an error that cannot be retried (not a
 *   CloudError with `canRetry`) gets the batch record by record; a record still failing after
 *   `maxHandlerAttempts` goes to the dead-letter topic with the reason and the group, and the
 *   partition moves on (`dead-letters.ts`). A retryable failure (a sink outage) is retried for ever.
 * - Topic names are the logical names (`BUS_TOPICS`); a bus may store them under other names
 *   (Kafka's `topics.prefix`) but hands the logical name back in `DeliveredMessage.topic`.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

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
  /** When the record was appended (ms since the epoch), where the bus knows it. */
  timestamp?: number;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: the oldest record (true) or the end (false, default). */
  fromBeginning?: boolean;
  /**
   * Called with records of one partition, in offset order. Resolve to commit; reject to get them
   * again. A handler that checkpoints its own state resolves `{ commit: false }` for a batch it
   * has applied but not yet checkpointed: the member reads on past it, but the group's offset
   * stays where the last checkpoint is, so whoever owns the partition next resumes from there.
   * Such a handler, handed records its restored state already reflects, resolves `{ resumeAt }`
   * to skip them: the member reads the partition on from there instead of record by record.
   */
  handle(batch: DeliveredMessage[], progress: HandlerProgress): Promise<void | HandledBatch>;
  /** Called with the member's partitions each time the group hands them out (a rebalance), the first time included. */
  assigned?(partitions: TopicPartition[]): void;
}

export interface HandledBatch {
  /** False: keep reading, but do not commit this batch's offsets (a later committed batch covers them). */
  commit: boolean;
  /**
   * The offset the member reads this partition from next, past the batch: the records between
   * are not delivered (the handler's state reflects them). At most the partition's end offset
   * (`progress.endOffset` or later); ignored when not past the batch's last offset. A commit
   * (`commit: true`) then covers everything before it; `commit: false` leaves the group's offset
   * where it is, so the next owner skips the same way.
   */
  resumeAt?: string;
}

export interface TopicPartition {
  /** Logical name. */
  topic: string;
  partition: number;
}

export interface HandlerProgress {
  /**
   * Tells the group the member is alive. A handler that may run longer than the group's session
   * (many sequential writes) calls it between steps, or Kafka evicts the member and re-delivers
   * the batch to another. No-op where there are no sessions (the embedded log).
   */
  heartbeat(): Promise<void>;
  /** The partition's end offset (the next offset to be written) when the batch was read. */
  readonly endOffset: string;
}

/** Where one group stands on one partition: `lag` = end offset − committed offset (end offset when nothing is committed). */
export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

export interface Bus {
  /**
   * Makes sure the bus can serve these topics before anything runs: reachable, authenticated,
   * every topic present with its layout (created where the bus may create topics). Rejects with
   * a coded CloudError that says precisely what is wrong (`FW_BUS_AUTH_FAILED`,
   * `FW_BUS_TLS_FAILED`, `FW_BUS_TOPICS_MISSING`, `FW_BUS_UNAVAILABLE`) within a bounded time.
   */
  prepare(topics: readonly string[]): Promise<void>;
  /** Resolves only once every message is durably stored (Kafka acks=all / embedded log committed). Throws CloudError FW_BUS_UNAVAILABLE (canRetry) when it cannot. */
  produce(messages: readonly BusMessage[]): Promise<void>;
  /** Consumer group; offsets are committed only after `handle` resolved for a batch; a rejected handle is retried. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * Reads a topic from its oldest record to the end it had when the call began, without a group
   * and without committing anything (the dead-letter commands use it). `visit` gets one
   * partition's records at a time, in offset order.
   */
  scan(topic: string, visit: (batch: DeliveredMessage[]) => void | Promise<void>): Promise<void>;
  /** How far each group this process runs is behind, per partition (the lag metric reads it). */
  consumerLag(): Promise<PartitionLag[]>;
  /** For /readyz. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** Process-level collaborators, not configuration. */
export interface BusDependencies {
  logger?: Logger;
  /** Where the bus's metrics (consumer lag, dead-lettered records) are registered; none when absent. */
  metrics?: Registry;
}
