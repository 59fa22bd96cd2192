/**
 * One member of a Kafka consumer group. kafkajs runs `eachBatch` per partition with auto-commit
 * and auto-resolve off; the batch's offsets are resolved and committed only after `handle`
 * resolved. A rejected `handle` is retried here, in place, with exponential backoff while the
 * member keeps heartbeating — so a sink outage stalls the partition instead of crashing and
 * rejoining the group. If the member stops or loses the partition meanwhile, nothing is
 * committed and whoever owns the partition next reads the batch again.
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
  const consumer: Consumer = kafka.consumer({
    groupId: subscribe.groupId,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    allowAutoTopicCreation: false,
  });

  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const batch = toDelivered(payload);
    const last = batch.at(-1);
    if (last === undefined) return;
    const { topic, partition } = payload.batch;
    for (let failures = 0; ; failures++) {
      if (!payload.isRunning() || payload.isStale()) return;
      try {
        await subscribe.handle(batch);
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

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: subscribe.topics, fromBeginning: subscribe.fromBeginning === true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  } catch (cause) {
    await consumer.disconnect().catch(() => undefined);
    throw busUnavailable(`could not join group ${subscribe.groupId}`, cause);
  }
  let closing: Promise<void> | undefined;
  return {
    close() {
      // disconnect() waits for the batch in hand, so its commit lands before the member leaves.
      closing ??= consumer.disconnect();
      return closing;
    },
  };
}
