/**
 * The Kafka bus's producer, on @platformatic/kafka (why this client for producing, and kafkajs
 * for consuming: docs/bus.md): acks=all, the idempotent producer, Kafka's Java-compatible murmur2
 * partitioner, one request in flight with concurrent produce calls coalesced into it
 * (`group-commit.ts`), and a hard upper bound on each produce call.
 *
 * Why the client is replaced after a failure: the idempotent producer numbers the records of
 * each partition. When a send gives up (we bound retries so ingest can answer 503 instead of
 * hanging), the broker may or may not have written it; a later send that reused its sequence
 * numbers would be taken by the broker for a duplicate and silently dropped. A fresh client
 * gets a new producer id and starts its sequences at zero, so that cannot happen.
 */
import { compatibilityPartitioner, ProduceAcks, type Producer, stringSerializer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { CloudError } from '../../errors.js';
import type { BusMessage } from '../bus.js';
import { createGroupCommit } from './group-commit.js';
import { LeanProducer } from './produce-request.js';
import type { KafkaBusOptions } from './options.js';
import { platformaticSecurity, resolveSecurity } from './security.js';

export interface KafkaProducer {
  send(messages: readonly BusMessage[]): Promise<void>;
  /** Waits for what was already handed to `send`, then disconnects. */
  close(): Promise<void>;
}

type Client = Producer<string, Buffer, string, string>;

export function busUnavailable(what: string, cause: unknown): CloudError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new CloudError('FW_BUS_UNAVAILABLE', `kafka bus: ${what}: ${detail}`, { cause, canRetry: true });
}

/** Record overhead in a v2 record batch (length, attributes, deltas, varint lengths), rounded up. */
const RECORD_OVERHEAD_BYTES = 24;

function wireBytes(message: BusMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(message.key) + message.value.length;
  const { headers } = message;
  for (const name in headers) bytes += 8 + Buffer.byteLength(name) + Buffer.byteLength(headers[name] as string);
  return bytes;
}

/** Header names are a handful of constants: encode each once instead of once per record. */
function headerNameSerializer(): (name: string | undefined) => Buffer | undefined {
  const known = new Map<string, Buffer>();
  return (name) => {
    if (name === undefined) return undefined;
    let bytes = known.get(name);
    if (bytes === undefined) {
      bytes = Buffer.from(name);
      if (known.size < 64) known.set(name, bytes);
    }
    return bytes;
  };
}

export function createKafkaProducer(
  options: Pick<KafkaBusOptions, 'brokers' | 'clientId' | 'produceTimeoutMs' | 'requestTimeoutMs' | 'connectionTimeoutMs' | 'maxRequestBytes' | 'tls' | 'sasl'>,
  logger: Logger | undefined,
): KafkaProducer {
  const security = platformaticSecurity(resolveSecurity(options));
  let current: Client | undefined;

  const connect = (): Client =>
    new LeanProducer<string, Buffer, string, string>({
      clientId: options.clientId,
      bootstrapBrokers: options.brokers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
      partitioner: compatibilityPartitioner,
      // Bounded: the outer timeout is the real limit; a few quick retries ride over a leader change.
      retries: 3,
      retryDelay: 100,
      timeout: options.requestTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      connectTimeout: options.connectionTimeoutMs,
      ...security,
      serializers: { key: stringSerializer, value: (value) => value, headerKey: headerNameSerializer(), headerValue: stringSerializer },
    });

  const discard = (client: Client): void => {
    if (current === client) current = undefined;
    client.close(true, () => undefined);
  };

  /** One request: bounded by the produce timeout, and the client replaced when it fails. */
  const sendRequest = async (messages: BusMessage[]): Promise<void> => {
    const client = (current ??= connect());
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.send({ messages }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no acknowledgement within ${options.produceTimeoutMs} ms`)), options.produceTimeoutMs);
        }),
      ]);
    } catch (cause) {
      discard(client);
      logger?.warn({ err: cause, records: messages.length }, 'bus_produce_failed');
      throw busUnavailable('produce failed', cause);
    } finally {
      clearTimeout(timer);
    }
  };

  const requests = createGroupCommit<BusMessage>({
    send: sendRequest,
    sizeOf: wireBytes,
    maxBytes: options.maxRequestBytes,
    timeoutMs: options.produceTimeoutMs,
    expired: () => busUnavailable('produce failed', new Error(`not acknowledged within ${options.produceTimeoutMs} ms`)),
  });

  return {
    send: (messages) => requests.push(messages),
    async close() {
      await requests.idle();
      const client = current;
      current = undefined;
      await client?.close().catch(() => undefined);
    },
  };
}
