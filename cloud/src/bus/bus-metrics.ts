/**
 * The bus's metrics, the same for both implementations:
 *   fleetwire_bus_consumer_lag_records{group,topic,partition}  end offset − committed offset, read
 *       when scraped, for every group this process runs (logical topic names)
 *   fleetwire_bus_handler_failures_total{group,topic}           rejected handler calls
 *   fleetwire_bus_records_dead_lettered_total{group,topic}      records given up on (poison)
 * Labels stay bounded: groups and topics are a handful, partitions a fixed count. Several buses
 * may share a registry (tests, tools): the metrics are registered once and read every bus.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PartitionLag } from './bus.js';

export interface BusMetrics {
  handlerFailed(group: string, topic: string): void;
  deadLettered(group: string, topic: string): void;
  /** Stops reading this bus's lag (at close). */
  detach(): void;
}

interface Shared {
  failures: Counter<'group' | 'topic'>;
  deadLettered: Counter<'group' | 'topic'>;
  sources: Set<() => Promise<PartitionLag[]>>;
}

const registered = new WeakMap<Registry, Shared>();

function sharedMetrics(registry: Registry): Shared {
  const existing = registered.get(registry);
  if (existing !== undefined) return existing;
  const sources = new Set<() => Promise<PartitionLag[]>>();
  const shared: Shared = {
    sources,
    failures: new Counter({
      name: 'fleetwire_bus_handler_failures_total', help: 'Consumer handler calls that rejected, by group and topic',
      labelNames: ['group', 'topic'], registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'fleetwire_bus_records_dead_lettered_total', help: 'Records a consumer group gave up on and sent to the dead-letter topic',
      labelNames: ['group', 'topic'], registers: [registry],
    }),
  };
  new Gauge({
    name: 'fleetwire_bus_consumer_lag_records',
    help: 'Records a consumer group has yet to commit, per partition (end offset minus committed offset)',
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      const lags = await Promise.all([...sources].map((read) => read().catch(() => [] as PartitionLag[])));
      for (const { group, topic, partition, lag } of lags.flat()) this.set({ group, topic, partition: String(partition) }, lag);
    },
  });
  registered.set(registry, shared);
  return shared;
}

const NO_METRICS: BusMetrics = { handlerFailed: () => undefined, deadLettered: () => undefined, detach: () => undefined };

export function createBusMetrics(registry: Registry | undefined, lag: () => Promise<PartitionLag[]>): BusMetrics {
  if (registry === undefined) return NO_METRICS;
  const shared = sharedMetrics(registry);
  shared.sources.add(lag);
  return {
    handlerFailed: (group, topic) => shared.failures.inc({ group, topic }),
    deadLettered: (group, topic) => shared.deadLettered.inc({ group, topic }),
    detach: () => shared.sources.delete(lag),
  };
}
