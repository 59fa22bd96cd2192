/**
 * The embedded bus: the Bus contract over the SQLite log (`log-store.ts`) and in-process consumer
 * groups (`consumer-group.ts`).
 *
 * Produce is group-committed: calls made in the same tick are written in one transaction on the
 * next turn of the event loop, and every one of them resolves only after that transaction
 * committed (one fsync for many HTTP requests). Consumers are woken right after the commit.
 */
import type { Logger } from 'pino';
import { CloudError } from '../../errors.js';
import type { Bus, BusDependencies, BusMessage } from '../bus.js';
import { createBusMetrics } from '../bus-metrics.js';
import { createGroupCoordinator } from './consumer-group.js';
import { openLogStore } from './log-store.js';
import { resolveEmbeddedOptions, type EmbeddedBusConfig } from './options.js';

interface PendingProduce {
  readonly messages: readonly BusMessage[];
  resolve(): void;
  reject(error: unknown): void;
}

function checkMessage(message: BusMessage): void {
  const valid = typeof message.topic === 'string' && message.topic.length > 0 && typeof message.key === 'string' &&
    Buffer.isBuffer(message.value) && typeof message.headers === 'object' && message.headers !== null;
  if (!valid) throw new CloudError('FW_BUS_MESSAGE_INVALID', 'embedded bus: a message needs topic, key, value (Buffer) and headers');
}

export function createEmbeddedBus(config: EmbeddedBusConfig, dependencies: BusDependencies = {}): Bus {
  const options = resolveEmbeddedOptions(config);
  const logger: Logger | undefined = dependencies.logger?.child({ bus: 'embedded' });
  const store = openLogStore(options.path);
  let pending: PendingProduce[] = [];
  let closed = false;

  const flush = (): void => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      for (const { messages } of batch) for (const m of messages) store.ensureTopic(m.topic, options.partitions);
      store.append(batch.flatMap((p) => p.messages));
    } catch (cause) {
      const error = new CloudError('FW_BUS_UNAVAILABLE', 'embedded bus: could not commit to the log', { cause, canRetry: true });
      logger?.error({ err: cause, records: batch.length }, 'bus_produce_failed');
      for (const p of batch) p.reject(error);
      return;
    }
    for (const p of batch) p.resolve();
    groups.notify();
  };

  const retention = setInterval(() => {
    try {
      const deleted = store.applyRetention(Date.now(), options.retentionMs, options.retentionBytes);
      if (deleted > 0) logger?.info({ deleted }, 'bus_retention_applied');
    } catch (error) {
      logger?.error({ err: error }, 'bus_retention_failed');
    }
  }, options.retentionIntervalMs);
  retention.unref();

  const closedError = (): CloudError => new CloudError('FW_BUS_CLOSED', 'embedded bus is closed');
  const produce = async (messages: readonly BusMessage[]): Promise<void> => {
    if (closed) throw closedError();
    if (messages.length === 0) return;
    messages.forEach(checkMessage);
    await new Promise<void>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ messages, resolve, reject });
    });
  };
  const metrics = createBusMetrics(dependencies.metrics, async () => (closed ? [] : groups.lag()));
  const groups = createGroupCoordinator(store, options, { logger, metrics, produce: (messages) => produce(messages) });

  return {
    async prepare(topics) {
      if (closed) throw closedError();
      for (const topic of topics) store.ensureTopic(topic, options.partitions);
    },
    produce,
    async scan(topic, visit) {
      if (closed) throw closedError();
      const partitions = store.partitionsOf(topic) ?? 0;
      for (let partition = 0; partition < partitions; partition++) {
        const end = store.endOffset(topic, partition);
        for (let next = 0; next < end;) {
          const batch = store.read(topic, partition, next, options.maxBatchMessages).filter((m) => Number(m.offset) < end);
          const last = batch.at(-1);
          if (last === undefined) break;
          await visit(batch);
          next = Number(last.offset) + 1;
        }
      }
    },
    async consumerLag() {
      return closed ? [] : groups.lag();
    },
    async subscribe(subscribe) {
      if (closed) throw closedError();
      const partitions = new Map(subscribe.topics.map((t) => [t, store.ensureTopic(t, options.partitions)]));
      return groups.join(subscribe, (topic) => partitions.get(topic) as number);
    },
    async ready() {
      return !closed;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(retention);
      metrics.detach();
      await groups.closeAll();
      // Produces already accepted are written before the file closes.
      if (pending.length > 0) flush();
      store.close();
    },
  };
}
