/**
 * The Kafka bus: produces with @platformatic/kafka (`producer.ts`), consumes and administers
 * topics with kafkajs (`consumer.ts`, `topic-admin.ts`; why two clients: docs/bus.md), over TLS
 * and SASL when configured (`security.ts`). Services name topics logically; the bus stores them
 * under `topics.prefix` or per-topic names (`topic-layout.ts`) and creates them on first use with
 * the layout of their use — or, with `topics.create: false`, only checks they are there. Keys are
 * partitioned with Kafka's murmur2 (the Java client's default), so per-key order holds across
 * producers written in any language.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { CloudError } from '../../errors.js';
import type { Bus, BusDependencies, BusMessage, DeliveredMessage, PartitionLag, Subscription } from '../bus.js';
import { createBusMetrics } from '../bus-metrics.js';
import { startKafkaConsumer } from './consumer.js';
import { resolveKafkaOptions, type KafkaBusConfig, type KafkaBusOptions } from './options.js';
import { busUnavailable, createKafkaProducer } from './producer.js';
import { kafkajsSecurity, resolveSecurity, securityFailure } from './security.js';
import { ensureTopicLayout } from './topic-admin.js';
import { physicalName, topicPlan } from './topic-layout.js';

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
};

function kafkaLog(logger: Logger | undefined) {
  return () => ({ namespace, level, log }: LogEntry) => {
    const { message, ...extra } = log;
    logger?.[PINO_LEVEL[level] ?? 'info']({ namespace, ...extra }, `kafka_client: ${message}`);
  };
}

/** The kafkajs client of a bus's options, for the bus and for operator tools (topics, dead letters). */
export function createKafkaClient(options: KafkaBusOptions, logger?: Logger): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLog(logger),
    ...kafkajsSecurity(resolveSecurity(options)),
  });
}

/** A connect or admin failure: the operator's (credentials, certificate) or an outage. */
export function kafkaFailure(options: KafkaBusOptions, what: string, cause: unknown): CloudError {
  if (cause instanceof CloudError) return cause;
  return securityFailure(cause, options.brokers) ?? busUnavailable(what, cause);
}

export function createKafkaBus(config: KafkaBusConfig, dependencies: BusDependencies = {}): Bus {
  const options = resolveKafkaOptions(config);
  const logger = dependencies.logger?.child({ bus: 'kafka' });
  const kafka = createKafkaClient(options, logger);
  const producer = createKafkaProducer(options, logger);
  const subscriptions = new Map<Subscription, { groupId: string; topics: string[] }>();
  let admin: Promise<Admin> | undefined;
  let closed = false;
  /** A failure no retry can fix (credentials, certificate): /readyz stays false until the config is fixed. */
  let fatal: CloudError | undefined;

  const connectedAdmin = (): Promise<Admin> => {
    if (admin === undefined) {
      const client = kafka.admin();
      admin = client.connect().then(() => client);
      admin.catch(() => (admin = undefined));
    }
    return admin;
  };

  const logicalNames = new Map<string, string>();
  const toPhysical = (logical: string): string => {
    const name = physicalName(options, logical);
    logicalNames.set(name, logical);
    return name;
  };
  const toLogical = (physical: string): string => logicalNames.get(physical) ?? physical;

  // One check per topic, shared by the calls that need it meanwhile; a failed one is tried again next time.
  const topicsReady = new Map<string, Promise<void>>();
  const checkTopics = async (topics: string[]): Promise<void> => {
    try {
      await ensureTopicLayout(await connectedAdmin(), topics.map((t) => topicPlan(options, t)), options.topics.create, options.produceTimeoutMs);
    } catch (cause) {
      const failure = kafkaFailure(options, `could not check topics ${topics.join(', ')}`, cause);
      if (!failure.canRetry) fatal = failure;
      throw failure;
    }
  };
  const ensureTopics = async (topics: Iterable<string>): Promise<void> => {
    const unique = [...new Set(topics)];
    const missing = unique.filter((t) => !topicsReady.has(t));
    if (missing.length > 0) {
      const check = checkTopics(missing);
      for (const t of missing) topicsReady.set(t, check);
      check.catch(() => {
        for (const t of missing) if (topicsReady.get(t) === check) topicsReady.delete(t);
      });
    }
    // Every topic has its check by now; topics checked together share one, awaited once.
    await Promise.all(new Set(unique.flatMap((t) => topicsReady.get(t) ?? [])));
  };

  const closedError = (): CloudError => new CloudError('FW_BUS_CLOSED', 'kafka bus is closed');
  const produce = async (messages: readonly BusMessage[]): Promise<void> => {
    if (closed) throw closedError();
    if (messages.length === 0) return;
    await ensureTopics(messages.map((m) => m.topic));
    await producer.send(messages.map((m) => ({ ...m, topic: toPhysical(m.topic) })));
  };

  const consumerLag = async (): Promise<PartitionLag[]> => {
    if (closed || subscriptions.size === 0) return [];
    const client = await connectedAdmin();
    const ends = new Map<string, Array<{ partition: number; low: string; high: string }>>();
    const lags: PartitionLag[] = [];
    for (const { groupId, topics } of subscriptions.values()) {
      const physical = topics.map(toPhysical);
      for (const name of physical) if (!ends.has(name)) ends.set(name, await client.fetchTopicOffsets(name));
      const committed = await client.fetchOffsets({ groupId, topics: physical });
      for (const { topic, partitions } of committed) {
        for (const { partition, offset } of partitions) {
          const end = ends.get(topic)?.find((p) => p.partition === partition);
          if (end === undefined) continue;
          const from = BigInt(offset) >= 0n ? BigInt(offset) : BigInt(end.low);
          lags.push({ group: groupId, topic: toLogical(topic), partition, lag: Number(BigInt(end.high) - from) });
        }
      }
    }
    return lags;
  };
  const metrics = createBusMetrics(dependencies.metrics, consumerLag);

  return {
    async prepare(topics) {
      if (closed) throw closedError();
      try {
        await connectedAdmin();
      } catch (cause) {
        const failure = kafkaFailure(options, 'could not connect', cause);
        if (!failure.canRetry) fatal = failure;
        throw failure;
      }
      await ensureTopics(topics);
    },
    produce,
    async subscribe(subscribe) {
      if (closed) throw closedError();
      await ensureTopics(subscribe.topics);
      const member = await startKafkaConsumer(subscribe, {
        kafka, options, logger, metrics, produce,
        logicalName: toLogical, physicalName: toPhysical,
      });
      const subscription: Subscription = {
        async close() {
          subscriptions.delete(subscription);
          await member.close();
        },
      };
      subscriptions.set(subscription, { groupId: subscribe.groupId, topics: [...subscribe.topics] });
      return subscription;
    },
    scan: (topic, visit) => scanTopic(kafka, connectedAdmin, toPhysical(topic), topic, visit, options),
    consumerLag,
    async ready() {
      if (closed || fatal !== undefined) return false;
      try {
        const client = await connectedAdmin();
        const cluster = await Promise.race([
          client.describeCluster(),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), options.connectionTimeoutMs * 2).unref()),
        ]);
        return cluster !== undefined && cluster.brokers.length > 0;
      } catch (cause) {
        const failure = kafkaFailure(options, 'not ready', cause);
        if (!failure.canRetry) fatal = failure;
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      metrics.detach();
      await Promise.all([...subscriptions.keys()].map((s) => s.close()));
      await producer.close();
      if (admin !== undefined) await admin.then((a) => a.disconnect()).catch(() => undefined);
    },
  };
}

/**
 * Reads a topic from its start to the end offsets it had when the scan began, with a throw-away
 * group that is deleted afterwards (kafkajs cannot read without a group). Bounded: a scan that
 * makes no progress for the session timeout gives up with FW_BUS_UNAVAILABLE.
 */
async function scanTopic(
  kafka: Kafka, connectedAdmin: () => Promise<Admin>, physical: string, logical: string,
  visit: (batch: DeliveredMessage[]) => void | Promise<void>, options: KafkaBusOptions,
): Promise<void> {
  const admin = await connectedAdmin();
  if (!(await admin.listTopics()).includes(physical)) return;
  const ends = await admin.fetchTopicOffsets(physical);
  const pending = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  if (pending.size === 0) return;
  const groupId = `fleetwire-scan-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: options.sessionTimeoutMs, heartbeatInterval: options.heartbeatIntervalMs, maxWaitTimeInMs: options.fetchMaxWaitMs });
  let failure: Error | undefined;
  let lastProgress = Date.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [physical], fromBeginning: true });
    const finished = new Promise<void>((resolve) => {
      const stopped = (error: unknown): void => {
        // A member that could not run (a rebalance storm, the broker away) fails the scan, not the process.
        failure = error instanceof Error ? error : new Error(String(error));
        pending.clear();
        resolve();
      };
      consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = pending.get(batch.partition);
          if (end === undefined) return;
          const wanted = batch.messages.filter((m) => BigInt(m.offset) < end);
          lastProgress = Date.now();
          try {
            if (wanted.length > 0) {
              await visit(wanted.map((m) => ({
                topic: logical, partition: batch.partition, offset: m.offset, key: m.key?.toString() ?? '', value: m.value ?? Buffer.alloc(0),
                headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)])),
                timestamp: Number(m.timestamp),
              })));
            }
          } catch (error) {
            failure = error instanceof Error ? error : new Error(String(error));
            pending.clear();
          }
          if (BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition);
          if (pending.size === 0) resolve();
        },
      }).catch(stopped);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (Date.now() - lastProgress > options.sessionTimeoutMs * 3) {
          clearInterval(timer);
          reject(busUnavailable(`scan of ${physical}`, new Error('no progress')));
        }
      }, 500);
      void finished.then(() => {
        clearInterval(timer);
        resolve();
      });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  if (failure !== undefined) throw failure;
}
