/**
 * The Kafka bus's producer: acks=all, the idempotent producer (one in-flight request per broker,
 * sequence numbers per partition), and a hard upper bound on each produce.
 *
 * Why the producer is replaced after a failure: the idempotent producer numbers the records of
 * each partition. When a send gives up (we bound retries so ingest can answer 503 instead of
 * hanging), the broker may or may not have written it; a later send that reused its sequence
 * numbers would be taken by the broker for a duplicate and silently dropped. A fresh producer
 * gets a new producer id and starts its sequences at zero, so that cannot happen.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { CloudError } from '../../errors.js';
import type { BusMessage } from '../bus.js';

export interface KafkaProducer {
  send(messages: readonly BusMessage[]): Promise<void>;
  close(): Promise<void>;
}

export function busUnavailable(what: string, cause: unknown): CloudError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new CloudError('FW_BUS_UNAVAILABLE', `kafka bus: ${what}: ${detail}`, { cause, canRetry: true });
}

function byTopic(messages: readonly BusMessage[]): Array<{ topic: string; messages: Message[] }> {
  const grouped = new Map<string, Message[]>();
  for (const m of messages) {
    const list = grouped.get(m.topic) ?? [];
    grouped.set(m.topic, list);
    list.push({ key: m.key, value: m.value, headers: m.headers });
  }
  return [...grouped].map(([topic, list]) => ({ topic, messages: list }));
}

export function createKafkaProducer(options: {
  kafka: Kafka; timeoutMs: number; requestTimeoutMs: number; logger: Logger | undefined;
}): KafkaProducer {
  let current: Promise<Producer> | undefined;

  const connect = (): Promise<Producer> => {
    const producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Bounded: the outer timeout is the real limit; a few quick retries ride over a leader change.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const connected = producer.connect().then(() => producer);
    connected.catch(() => undefined);
    return connected;
  };

  const discard = (session: Promise<Producer>): void => {
    if (current === session) current = undefined;
    session.then((p) => p.disconnect()).catch(() => undefined);
  };

  return {
    async send(messages) {
      const session = (current ??= connect());
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no acknowledgement within ${options.timeoutMs} ms`)), options.timeoutMs);
      });
      try {
        const producer = await Promise.race([session, timeout]);
        await Promise.race([
          producer.sendBatch({ topicMessages: byTopic(messages), acks: -1, timeout: options.requestTimeoutMs }),
          timeout,
        ]);
      } catch (cause) {
        discard(session);
        options.logger?.warn({ err: cause, records: messages.length }, 'bus_produce_failed');
        throw busUnavailable('produce failed', cause);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const session = current;
      current = undefined;
      if (session !== undefined) await session.then((p) => p.disconnect()).catch(() => undefined);
    },
  };
}
