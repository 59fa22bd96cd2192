/**
 * The Kafka bus (kafkajs; why this client: docs/bus.md). Topics are created on first use with
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
  const producer = createKafkaProducer({
    kafka, timeoutMs: options.produceTimeoutMs, requestTimeoutMs: options.requestTimeoutMs, logger,
  });
  const subscriptions = new Set<Subscription>();
  const knownTopics = new Set<string>();
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

  const ensureTopics = async (topics: Iterable<string>): Promise<void> => {
    const missing = [...new Set(topics)].filter((t) => !knownTopics.has(t));
    if (missing.length === 0) return;
    try {
      await (await connectedAdmin()).createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: options.partitions, replicationFactor: options.replicationFactor })),
        waitForLeaders: true,
        timeout: options.produceTimeoutMs,
      });
    } catch (cause) {
      throw busUnavailable(`could not create topics ${missing.join(', ')}`, cause);
    }
    for (const t of missing) knownTopics.add(t);
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
