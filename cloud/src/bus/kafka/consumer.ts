/**
 * One member of a Kafka consumer group. kafkajs runs `eachBatch` per partition with auto-commit
 * and auto-resolve off; the batch goes through `../delivery.ts` (retried in place with backoff
 * while the member keeps heartbeating, poison records dead-lettered) and its offsets are resolved
 * and committed only after that — or, when the handler skipped ahead (`resumeAt`), the member
 * seeks there (the next fetch of the partition starts at the new offset; with autoCommit off the
 * seek commits nothing). If the member stops or loses the partition meanwhile, nothing is
 * committed and whoever owns the partition next reads the batch again. A member that kafkajs
 * gives up on (a crash it will not restart) is replaced by a fresh one after a backoff.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { BusMessage, DeliveredMessage, SubscribeOptions, Subscription } from '../bus.js';
import type { BusMetrics } from '../bus-metrics.js';
import { backoff, deliverBatch, deliveryReports, nextPosition } from '../delivery.js';
import type { KafkaBusOptions } from './options.js';
import { busUnavailable } from './producer.js';

function toDelivered(payload: EachBatchPayload, logical: string): DeliveredMessage[] {
  const { partition, messages } = payload.batch;
  return messages.map((m) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(m.headers ?? {})) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : value.toString();
    }
    return {
      topic: logical, partition, offset: m.offset, key: m.key?.toString() ?? '', value: m.value ?? Buffer.alloc(0), headers,
      timestamp: Number(m.timestamp),
    };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ConsumerCollaborators {
  kafka: Kafka;
  options: KafkaBusOptions;
  logger: Logger | undefined;
  metrics: BusMetrics;
  /** Kafka name → logical name of the subscribed topics. */
  logicalName(physical: string): string;
  physicalName(logical: string): string;
  /** The bus's own produce (logical topic names), for dead letters. */
  produce(messages: BusMessage[]): Promise<void>;
}

export async function startKafkaConsumer(subscribe: SubscribeOptions, collaborators: ConsumerCollaborators): Promise<Subscription> {
  const { kafka, options, logger, metrics } = collaborators;
  const { groupId } = subscribe;
  const eachBatch = (consumer: Consumer) => async (payload: EachBatchPayload): Promise<void> => {
    const { topic: physical, partition } = payload.batch;
    const topic = collaborators.logicalName(physical);
    const batch = toDelivered(payload, topic);
    const last = batch.at(-1);
    if (last === undefined) return;
    const done = await deliverBatch(batch, options, {
      groupId, handle: subscribe.handle,
      progress: { heartbeat: () => payload.heartbeat(), endOffset: payload.batch.highWatermark },
      owned: () => payload.isRunning() && !payload.isStale(),
      async pause(ms) {
        // Sleep in slices so the group keeps seeing this member alive.
        for (let waited = 0; waited < ms && payload.isRunning(); waited += options.heartbeatIntervalMs) {
          await sleep(Math.min(options.heartbeatIntervalMs, ms - waited));
          await payload.heartbeat();
        }
      },
      deadLetter: collaborators.produce,
      ...deliveryReports(metrics, logger, { groupId, topic, partition }),
    });
    if (done.kind === 'lost') return;
    // Resolved: this member reads on. Committed only when the handler says its state covers it
    // (autoCommit is off, so kafkajs never commits resolved offsets by itself, not at a rebalance either).
    const next = nextPosition(BigInt(last.offset), done);
    if (next === BigInt(last.offset) + 1n) payload.resolveOffset(last.offset);
    // With autoCommit off a seek only resolves the offset before it and the next fetch starts there; nothing is committed.
    else consumer.seek({ topic: physical, partition, offset: next.toString() });
    if (!done.commit) return;
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: physical, partitions: [{ partition, offset: next.toString() }] }],
    });
  };

  const join = async (): Promise<Consumer> => {
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxWaitTimeInMs: options.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
    });
    // Before run(): it resolves only after the first join, whose assignment the handler must hear.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = Object.entries(payload.memberAssignment).flatMap(([physical, numbers]) =>
        numbers.map((partition) => ({ topic: collaborators.logicalName(physical), partition })));
      subscribe.assigned?.(partitions);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: subscribe.topics.map(collaborators.physicalName), fromBeginning: subscribe.fromBeginning === true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: eachBatch(consumer) });
    } catch (cause) {
      await consumer.disconnect().catch(() => undefined);
      throw busUnavailable(`could not join group ${groupId}`, cause);
    }
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts a member after a retriable error by itself; after any other (a broker
      // that came back without the group's coordinator loaded, say) the member stays stopped
      // for good, and a sink would silently stop consuming. Replace it instead.
      if (payload.restart || closing !== undefined) return;
      logger?.error({ err: payload.error, groupId }, 'bus_consumer_crashed');
      void rejoin();
    });
    return consumer;
  };

  const rejoin = async (): Promise<void> => {
    for (let failures = 1; closing === undefined; failures++) {
      await sleep(backoff(options, failures));
      if (closing !== undefined) return;
      try {
        current = await join();
        logger?.info({ groupId, failures }, 'bus_consumer_rejoined');
        if (closing !== undefined) await current.disconnect();
        return;
      } catch (error) {
        logger?.warn({ err: error, groupId, failures }, 'bus_consumer_rejoin_failed');
      }
    }
  };

  let closing: Promise<void> | undefined;
  let current = await join();
  return {
    close() {
      // disconnect() waits for the batch in hand, so its commit lands before the member leaves.
      closing ??= current.disconnect();
      return closing;
    },
  };
}
