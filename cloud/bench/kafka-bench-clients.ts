/**
 * The Kafka clients under comparison, behind one small shape, each configured the way the bus
 * needs: acks=all, idempotent producer, bounded retries and a bounded produce, a consumer group
 * that commits only after its handler resolved.
 * - the bus itself (cloud/src/bus/kafka: @platformatic/kafka producer with group commit, kafkajs
 *   consumer);
 * - kafkajs 2.2.4's producer configured as the bus used it before (one `sendBatch` per call);
 * - @platformatic/kafka used plainly (one `send` per call, so several may be in flight).
 */
import { Admin, Consumer, ProduceAcks, Producer, stringDeserializers, type Message } from '@platformatic/kafka';
import { Kafka, logLevel, type Producer as KafkajsProducer } from 'kafkajs';
import { createKafkaBus } from '../src/bus/kafka/index.js';

export interface BenchRecord { key: string; value: Buffer; id: string }

export interface ClientUnderTest {
  readonly name: string;
  createTopic(topic: string, partitions: number): Promise<void>;
  /** Resolves once the broker acknowledged every record (acks=all); rejects within a bounded time. */
  send(topic: string, records: readonly BenchRecord[]): Promise<void>;
  /** A group member that hands each delivered batch's ids to `handle` and commits after it resolved; absent when it would only repeat another client's consumer. */
  join?(groupId: string, topic: string, handle: (ids: string[]) => Promise<void>): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

const PRODUCE_TIMEOUT_MS = 5000;

function kafkajsAdmin(brokers: string[]) {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  let connected: Promise<void> | undefined;
  return {
    async createTopic(topic: string, partitions: number) {
      await (connected ??= admin.connect());
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    },
    async close() {
      if (connected !== undefined) await admin.disconnect();
    },
  };
}

export function theBus(brokers: string[]): ClientUnderTest {
  const bus = createKafkaBus({ kind: 'kafka', brokers, clientId: 'bench-bus', produceTimeoutMs: PRODUCE_TIMEOUT_MS, replicationFactor: 1 });
  const admin = kafkajsAdmin(brokers);
  return {
    name: 'the bus (produce: @platformatic/kafka 1.35.0 + group commit; consume: kafkajs 2.2.4)',
    createTopic: admin.createTopic,
    send: (topic, records) => bus.produce(records.map((r) => ({ topic, key: r.key, value: r.value, headers: { 'fw-id': r.id } }))),
    async join(groupId, topic, handle) {
      return bus.subscribe({ groupId, topics: [topic], fromBeginning: true, handle: (batch) => handle(batch.map((m) => m.headers['fw-id'] ?? '')) });
    },
    async close() {
      await bus.close();
      await admin.close();
    },
  };
}

/**
 * Settles when a @platformatic/kafka call reports through its callback. Its types pick the
 * callback overload, returning void, for `close(true)` and give `Message.commit()` as
 * `void | Promise<void>`: awaiting what they return would not be typed to wait for them.
 */
function completion(call: (done: (error?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => call((error) => (error === undefined || error === null ? resolve() : reject(error))));
}

/** The bus's producer before it moved to @platformatic/kafka, kept as the reference figure. */
export function kafkajsProducer(brokers: string[]): ClientUnderTest {
  const kafka = new Kafka({
    clientId: 'bench-kafkajs', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 4000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const admin = kafkajsAdmin(brokers);
  let producer: Promise<KafkajsProducer> | undefined;
  const connect = async (): Promise<KafkajsProducer> => {
    const fresh = kafka.producer({
      idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    await fresh.connect();
    return fresh;
  };
  return {
    name: 'kafkajs 2.2.4 producer (the bus before)',
    createTopic: admin.createTopic,
    async send(topic, records) {
      const session = (producer ??= connect());
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          session.then((p) => p.sendBatch({
            topicMessages: [{ topic, messages: records.map((r) => ({ key: r.key, value: r.value, headers: { 'fw-id': r.id } })) }],
            acks: -1, timeout: 4000,
          })),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('produce timeout')), PRODUCE_TIMEOUT_MS))),
        ]);
      } catch (error) {
        // A producer that gave up is replaced (fresh producer id and sequences), as the bus did.
        if (producer === session) producer = undefined;
        session.then((p) => p.disconnect()).catch(() => undefined);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await producer?.then((p) => p.disconnect()).catch(() => undefined);
      await admin.close();
    },
  };
}

export function platformaticKafka(brokers: string[]): ClientUnderTest {
  const base = { clientId: 'bench-platformatic', bootstrapBrokers: brokers, retries: 3, retryDelay: 100, timeout: 4000 };
  const admin = new Admin(base);
  let producer: Producer<string, Buffer, string, string> | undefined;
  const members = new Set<{ close(): Promise<void> }>();
  const newProducer = () => new Producer<string, Buffer, string, string>({
    ...base, idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false,
    serializers: { key: (k) => (k === undefined ? undefined : Buffer.from(k)), value: (v) => v, headerKey: (k) => (k === undefined ? undefined : Buffer.from(k)), headerValue: (v) => (v === undefined ? undefined : Buffer.from(v)) },
  });
  return {
    name: '@platformatic/kafka 1.35.0 (plain: one send per call)',
    async createTopic(topic, partitions) {
      await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    },
    async send(topic, records) {
      const current = (producer ??= newProducer());
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          current.send({ messages: records.map((r) => ({ topic, key: r.key, value: r.value, headers: { 'fw-id': r.id } })) }),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('produce timeout')), PRODUCE_TIMEOUT_MS))),
        ]);
      } catch (error) {
        // Same policy as the bus: a producer that gave up is replaced (fresh producer id and sequences).
        if (producer === current) producer = undefined;
        Promise.resolve().then(() => current.close(true)).catch(() => undefined);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    async join(groupId, topic, handle) {
      const consumer = new Consumer({ ...base, groupId, deserializers: stringDeserializers, sessionTimeout: 10_000, heartbeatInterval: 1000 });
      const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
      let pending: Array<Message<string, string, string, string>> = [];
      // Batches of what one fetch delivered: handle, then commit the last message of each partition.
      const flush = async (): Promise<void> => {
        const batch = pending;
        pending = [];
        if (batch.length === 0) return;
        await handle(batch.map((m) => m.headers.get('fw-id') ?? ''));
        const last = new Map(batch.map((m) => [m.partition, m]));
        await Promise.all([...last.values()].map((m) => completion((done) => { void m.commit(done); })));
      };
      let flushing: Promise<void> = Promise.resolve();
      stream.on('data', (message: Message<string, string, string, string>) => {
        pending.push(message);
        if (pending.length === 1) flushing = flushing.then(() => new Promise((r) => setImmediate(r))).then(flush).catch(() => undefined);
      });
      const member = {
        async close() {
          await flushing;
          await stream.close();
          await completion((done) => consumer.close(true, done));
          members.delete(member);
        },
      };
      members.add(member);
      return member;
    },
    async close() {
      await Promise.all([...members].map((m) => m.close()));
      const open = producer;
      if (open !== undefined) await completion((done) => open.close(true, done));
      await admin.close();
    },
  };
}
