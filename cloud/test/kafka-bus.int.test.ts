import { randomUUID } from 'node:crypto';
import { BUS_TOPICS } from '@fleetwire/protocol';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import type { BusMessage, DeliveredMessage } from '../src/bus/bus.js';
import { describeBusConformance } from './support/bus-conformance.js';
import { idListingConsumer, notingDeliveries } from './support/id-listing-consumer.js';
import { createKafkaBus } from '../src/bus/kafka/kafka-bus.js';
import { resolveKafkaOptions } from '../src/bus/kafka/options.js';
import { createKafkaProducer } from '../src/bus/kafka/producer.js';

// The suite names every topic and group uniquely, so runs share the test broker safely.
describeBusConformance(
  'kafka',
  (dependencies) => createKafkaBus({ kind: 'kafka', brokers: inject('kafkaBrokers'), partitions: 3, replicationFactor: 1, retryInitialMs: 50 }, dependencies),
  { deliveryTimeoutMs: 30_000, quietMs: 1500 },
);

/** The partition Kafka's Java client (and kafkajs' default partitioner) picks for a key. */
function javaPartition(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1 }));
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } } as unknown as PartitionerArgs);
}

describe('kafka bus producer', () => {
  it('coalesces concurrent produce calls and splits large ones, keeping per-key order and the Java partitioner', async () => {
    const bus = createKafkaBus({
      kind: 'kafka', brokers: inject('kafkaBrokers'), partitions: 3, replicationFactor: 1, maxRequestBytes: 2000,
    });
    const topic = `fw-producer-${randomUUID().slice(0, 8)}`;
    const keys = Array.from({ length: 12 }, (_, i) => `VH-${String(i).padStart(4, '0')}`);
    const call = (round: number): BusMessage[] =>
      keys.map((key) => ({ topic, key, value: Buffer.from(JSON.stringify({ key, round }).padEnd(100)), headers: { 'fw-id': `${key}:e:${round}` } }));
    // Ten calls at once, each ~1.7 kB: more than one request's worth in flight together.
    await Promise.all(Array.from({ length: 10 }, (_, round) => bus.produce(call(round))));
    const received: DeliveredMessage[] = [];
    const subscription = await bus.subscribe({
      groupId: `fw-producer-${randomUUID().slice(0, 8)}`, topics: [topic], fromBeginning: true,
      async handle(batch) {
        received.push(...batch);
      },
    });
    await expect.poll(() => received.length, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(120);
    await subscription.close();
    await bus.close();

    expect(new Set(received.map((m) => m.headers['fw-id'])).size).toBe(120);
    for (const key of keys) {
      const mine = received.filter((m) => m.key === key);
      expect(mine.map((m) => (JSON.parse(m.value.toString()) as { round: number }).round)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(new Set(mine.map((m) => m.partition))).toEqual(new Set([javaPartition(key, 3)]));
    }
  });
});

describe('kafka bus without a broker', () => {
  it('answers not ready and rejects a produce with FW_BUS_UNAVAILABLE within the produce timeout', async () => {
    const bus = createKafkaBus({ kind: 'kafka', brokers: ['127.0.0.1:1'], produceTimeoutMs: 1500, connectionTimeoutMs: 200 });
    expect(await bus.ready()).toBe(false);
    const started = Date.now();
    await expect(bus.produce([{ topic: 'fw-nowhere', key: 'VH-1', value: Buffer.from('x'), headers: {} }])).rejects.toMatchObject({
      code: 'FW_BUS_UNAVAILABLE', canRetry: true,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    await bus.close();
  });

  it('rejects sends of the producer itself, concurrent ones too, with FW_BUS_UNAVAILABLE within the produce timeout', async () => {
    const options = resolveKafkaOptions({ kind: 'kafka', brokers: ['127.0.0.1:1'], produceTimeoutMs: 1500, connectionTimeoutMs: 200 });
    const producer = createKafkaProducer(options, undefined);
    const started = Date.now();
    const sends = ['VH-1', 'VH-2', 'VH-3'].map((key) => producer.send([{ topic: 'fw-nowhere', key, value: Buffer.from('x'), headers: {} }]));
    for (const send of sends) await expect(send).rejects.toMatchObject({ code: 'FW_BUS_UNAVAILABLE', canRetry: true });
    expect(Date.now() - started).toBeLessThan(2500);
    await producer.close();
  });
});

describe('checkpointed consumer over kafka', () => {
  it('restarts by seeking to its checkpoint: the records before it are delivered one fetch at most, the tail is applied once, the group commits at the checkpoint', async () => {
    const prefix = `fw-pc-${randomUUID().slice(0, 8)}.`;
    const topic = 'pc-records';
    const bus = createKafkaBus({ kind: 'kafka', brokers: inject('kafkaBrokers'), partitions: 1, replicationFactor: 1, topics: { prefix, settings: {} } });
    await bus.prepare([topic, BUS_TOPICS.checkpoints]);
    // 3 MB on one partition: more than one fetch (1 MiB per partition), so the restart's first batch ends before the checkpoint.
    const records = (from: number, count: number): BusMessage[] =>
      Array.from({ length: count }, (_, i) => ({ topic, key: `VH-${(from + i) % 7}`, value: Buffer.alloc(1000, 'x'), headers: { 'fw-id': `r-${from + i}` } }));
    const start = async (delivered: DeliveredMessage[]) => {
      const consumer = idListingConsumer({ bus: notingDeliveries(bus, delivered), checkpointsBus: bus, groupId: `${prefix}group`, topic });
      await consumer.start();
      await expect.poll(() => consumer.ready(), { timeout: 30_000, interval: 100 }).toBe(true);
      return consumer;
    };
    try {
      for (let from = 0; from < 3000; from += 500) await bus.produce(records(from, 500));
      const first = await start([]);
      expect(first.owned().flatMap((p) => p.state.ids)).toHaveLength(3000);
      await first.stop();

      await bus.produce(records(3000, 50));
      const delivered: DeliveredMessage[] = [];
      const again = await start(delivered);
      const ids = again.owned().flatMap((p) => p.state.ids);
      expect(ids).toHaveLength(3050);
      expect(new Set(ids).size).toBe(3050);
      const before = delivered.filter((m) => Number(m.offset) < 3000).map((m) => Number(m.offset));
      expect(before.length).toBeGreaterThan(0);
      expect(before.length).toBeLessThan(3000);
      expect(before).toEqual(Array.from({ length: before.length }, (_, i) => i));
      expect(delivered.filter((m) => Number(m.offset) >= 3000)).toHaveLength(50);
      // The skip committed at the checkpoint; the tail's batch held its commit.
      await expect.poll(async () => (await bus.consumerLag()).filter((l) => l.group === `${prefix}group`).reduce((sum, l) => sum + l.lag, 0), { timeout: 10_000 }).toBe(50);
      await again.stop();
    } finally {
      await bus.close();
    }
  });
});
