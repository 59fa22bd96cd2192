/**
 * The Kafka bus: produces with @platformatic/kafka (`producer.ts`), consumes and administers
 * topics with kafkajs (`consumer.ts`; why two clients: docs/bus.md). Topics are created on first use with
 * the configured partitions and replication factor; keys are partitioned with Kafka's murmur2
 * (the Java client's default), so per-key order holds across producers written in any language.
 */
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { CloudError } from '../../errors.js';
import type { Bus, BusDependencies, Subscription } from '../bus.js';
import { startKafkaConsumer } from './consumer.js';
import { resolveKafkaOptions, type KafkaBusConfig } from './options.js';
import { busUnavailable, createKafkaProducer } from './producer.js';

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
};

function kafkaLog(logger: Logger | undefined) {
  return () => ({ namespace, level, log }: LogEntry) => {
    const { message, ...extra } = log;
    logger?.[PINO_LEVEL[level] ?? 'info']({ namespace, ...extra }, `kafka_client: ${message}`);
  };
}

export function createKafkaBus(config: KafkaBusConfig, dependencies: BusDependencies = {}): Bus {
  const options = resolveKafkaOptions(config);
  const logger = dependencies.logger?.child({ bus: 'kafka' });
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLog(logger),
  });
  const producer = createKafkaProducer(options, logger);
  const subscriptions = new Set<Subscription>();
  let admin: Promise<Admin> | undefined;
  let closed = false;

  const connectedAdmin = (): Promise<Admin> => {
    if (admin === undefined) {
      const client = kafka.admin();
      admin = client.connect().then(() => client);
      admin.catch(() => (admin = undefined));
    }
    return admin;
  };

  // One creation per topic, shared by the calls that need it meanwhile; a failed one is tried again next time.
  const topicsReady = new Map<string, Promise<void>>();
  const createMissing = async (topics: string[]): Promise<void> => {
    try {
      const client = await connectedAdmin();
      // Asking first keeps a restart quiet: kafkajs logs TOPIC_ALREADY_EXISTS as an error.
      const existing = new Set(await client.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      await client.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: options.partitions, replicationFactor: options.replicationFactor })),
        waitForLeaders: true,
        timeout: options.produceTimeoutMs,
      });
    } catch (cause) {
      throw busUnavailable(`could not create topics ${topics.join(', ')}`, cause);
    }
  };
  const ensureTopics = async (topics: Iterable<string>): Promise<void> => {
    const unique = [...new Set(topics)];
    const missing = unique.filter((t) => !topicsReady.has(t));
    if (missing.length > 0) {
      const creation = createMissing(missing);
      for (const t of missing) topicsReady.set(t, creation);
      creation.catch(() => {
        for (const t of missing) if (topicsReady.get(t) === creation) topicsReady.delete(t);
      });
    }
    await Promise.all(unique.map((t) => topicsReady.get(t)));
  };

  const closedError = (): CloudError => new CloudError('FW_BUS_CLOSED', 'kafka bus is closed');

  return {
    async produce(messages) {
      if (closed) throw closedError();
      if (messages.length === 0) return;
      await ensureTopics(messages.map((m) => m.topic));
      await producer.send(messages);
    },
    async subscribe(subscribe) {
      if (closed) throw closedError();
      await ensureTopics(subscribe.topics);
      const member = await startKafkaConsumer(kafka, options, subscribe, logger);
      const subscription: Subscription = {
        async close() {
          subscriptions.delete(subscription);
          await member.close();
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },
    async ready() {
      if (closed) return false;
      try {
        const client = await connectedAdmin();
        const cluster = await Promise.race([
          client.describeCluster(),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), options.connectionTimeoutMs * 2).unref()),
        ]);
        return cluster !== undefined && cluster.brokers.length > 0;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await producer.close();
      if (admin !== undefined) await admin.then((a) => a.disconnect()).catch(() => undefined);
    },
  };
}
