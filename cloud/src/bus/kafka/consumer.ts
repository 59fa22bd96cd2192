/**
 * One member of a Kafka consumer group. kafkajs runs `eachBatch` per partition with auto-commit
 * and auto-resolve off; the batch's offsets are resolved and committed only after `handle`
 * resolved. A rejected `handle` is retried here, in place, with exponential backoff while the
 * member keeps heartbeating — so a sink outage stalls the partition instead of crashing and
 * rejoining the group. If the member stops or loses the partition meanwhile, nothing is
 * committed and whoever owns the partition next reads the batch again. A member that kafkajs
 * gives up on (a crash it will not restart) is replaced by a fresh one after a backoff.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { DeliveredMessage, SubscribeOptions, Subscription } from '../bus.js';
import { busUnavailable } from './producer.js';
import type { KafkaBusOptions } from './options.js';

function toDelivered(payload: EachBatchPayload): DeliveredMessage[] {
  const { topic, partition, messages } = payload.batch;
  return messages.map((m) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(m.headers ?? {})) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : value.toString();
    }
    return { topic, partition, offset: m.offset, key: m.key?.toString() ?? '', value: m.value ?? Buffer.alloc(0), headers };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startKafkaConsumer(
  kafka: Kafka, options: KafkaBusOptions, subscribe: SubscribeOptions, logger: Logger | undefined,
): Promise<Subscription> {
  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const batch = toDelivered(payload);
    const last = batch.at(-1);
    if (last === undefined) return;
    const { topic, partition } = payload.batch;
    for (let failures = 0; ; failures++) {
      if (!payload.isRunning() || payload.isStale()) return;
      try {
        await subscribe.handle(batch, { heartbeat: () => payload.heartbeat() });
        break;
      } catch (error) {
        const delay = Math.min(options.retryMaxMs, options.retryInitialMs * 2 ** failures);
        logger?.warn({ err: error, groupId: subscribe.groupId, topic, partition, failures: failures + 1, delay }, 'bus_handler_failed');
        // Sleep in slices so the group keeps seeing this member alive.
        for (let waited = 0; waited < delay && payload.isRunning(); waited += options.heartbeatIntervalMs) {
          await sleep(Math.min(options.heartbeatIntervalMs, delay - waited));
          await payload.heartbeat();
        }
      }
    }
    payload.resolveOffset(last.offset);
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic, partitions: [{ partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
    });
  };

  const join = async (): Promise<Consumer> => {
    const consumer = kafka.consumer({
      groupId: subscribe.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: subscribe.topics, fromBeginning: subscribe.fromBeginning === true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    } catch (cause) {
      await consumer.disconnect().catch(() => undefined);
      throw busUnavailable(`could not join group ${subscribe.groupId}`, cause);
    }
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts a member after a retriable error by itself; after any other (a broker
      // that came back without the group's coordinator loaded, say) the member stays stopped
      // for good, and a sink would silently stop consuming. Replace it instead.
      if (payload.restart || closing !== undefined) return;
      logger?.error({ err: payload.error, groupId: subscribe.groupId }, 'bus_consumer_crashed');
      void rejoin();
    });
    return consumer;
  };

  const rejoin = async (): Promise<void> => {
    for (let failures = 0; closing === undefined; failures++) {
      await sleep(Math.min(options.retryMaxMs, options.retryInitialMs * 2 ** failures));
      if (closing !== undefined) return;
      try {
        current = await join();
        logger?.info({ groupId: subscribe.groupId, failures }, 'bus_consumer_rejoined');
        if (closing !== undefined) await current.disconnect();
        return;
      } catch (error) {
        logger?.warn({ err: error, groupId: subscribe.groupId, failures: failures + 1 }, 'bus_consumer_rejoin_failed');
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
