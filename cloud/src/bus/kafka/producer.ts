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
import { BUS_HEADERS } from '@fleetwire/protocol';
import { compatibilityPartitioner, ProduceAcks, type MessageToProduce, type Producer } from '@platformatic/kafka';
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

/** Messages reach the client as bytes: its serializers pass them through. */
type Client = Producer<Buffer, Buffer, Buffer, Buffer>;
type WireMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer> & { headers: Map<Buffer, Buffer> };

export function busUnavailable(what: string, cause: unknown): CloudError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new CloudError('FW_BUS_UNAVAILABLE', `kafka bus: ${what}: ${detail}`, { cause, canRetry: true });
}

/** Record overhead in a v2 record batch (length, attributes, deltas, varint lengths), rounded up. */
const RECORD_OVERHEAD_BYTES = 24;
/** Per header: its two length varints, rounded up. */
const HEADER_OVERHEAD_BYTES = 8;

function wireBytes(message: WireMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const [name, value] of message.headers) bytes += HEADER_OVERHEAD_BYTES + name.length + value.length;
  return bytes;
}

/** Headers whose values come from a small set (kinds, schemas, reasons, senders): encoded once each. */
const RECURRING_HEADERS: ReadonlySet<string> = new Set([BUS_HEADERS.kind, BUS_HEADERS.schema, BUS_HEADERS.reason, BUS_HEADERS.source]);

/**
 * UTF-8 of strings that recur record after record — header names and recurring values, keys
 * (device ids) — kept after the first time, up to `limit` of them (then forgotten all at once,
 * which bounds memory however many devices there are). Every record used to encode its key and
 * its three headers afresh.
 */
function recurringBytes(limit: number): (text: string) => Buffer {
  let known = new Map<string, Buffer>();
  return (text) => {
    let bytes = known.get(text);
    if (bytes === undefined) {
      if (known.size >= limit) known = new Map();
      bytes = Buffer.from(text);
      known.set(text, bytes);
    }
    return bytes;
  };
}

const passThrough = (bytes: Buffer | undefined): Buffer | undefined => bytes;

export function createKafkaProducer(
  options: Pick<KafkaBusOptions, 'brokers' | 'clientId' | 'produceTimeoutMs' | 'requestTimeoutMs' | 'connectionTimeoutMs' | 'maxRequestBytes' | 'tls' | 'sasl'>,
  logger: Logger | undefined,
): KafkaProducer {
  const security = platformaticSecurity(resolveSecurity(options));
  let current: Client | undefined;

  const connect = (): Client =>
    new LeanProducer<Buffer, Buffer, Buffer, Buffer>({
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
      serializers: { key: passThrough, value: passThrough, headerKey: passThrough, headerValue: passThrough },
    });

  const discard = (client: Client): void => {
    if (current === client) current = undefined;
    client.close(true, () => undefined);
  };

  const headerBytes = recurringBytes(256);
  const keyBytes = recurringBytes(20_000);
  const toWire = (message: BusMessage): WireMessage => {
    const headers = new Map<Buffer, Buffer>();
    for (const name in message.headers) {
      const value = message.headers[name] as string;
      headers.set(headerBytes(name), RECURRING_HEADERS.has(name) ? headerBytes(value) : Buffer.from(value));
    }
    return { topic: message.topic, key: keyBytes(message.key), value: message.value, headers };
  };

  /** One request: bounded by the produce timeout, and the client replaced when it fails. */
  const sendRequest = async (messages: WireMessage[]): Promise<void> => {
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

  const requests = createGroupCommit<WireMessage>({
    send: sendRequest,
    sizeOf: wireBytes,
    maxBytes: options.maxRequestBytes,
    timeoutMs: options.produceTimeoutMs,
    expired: () => busUnavailable('produce failed', new Error(`not acknowledged within ${options.produceTimeoutMs} ms`)),
  });

  return {
    send: (messages) => requests.push(messages.map(toWire)),
    async close() {
      await requests.idle();
      const client = current;
      current = undefined;
      await client?.close().catch(() => undefined);
    },
  };
}
