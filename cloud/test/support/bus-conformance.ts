/**
 * The conformance suite every Bus implementation runs (embedded: unit project; Kafka:
 * integration project). `makeBus` opens a bus over the implementation's storage (with the given
 * metrics registry, where a test reads the bus's metrics); the suite
 * calls it again after `close()` to check what survives a restart, and uses topic and group
 * names unique to each test so a shared broker needs no cleanup.
 */
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Bus, BusDependencies, BusMessage, DeliveredMessage, Subscription } from '../../src/bus/bus.js';
import { findDeadLetters, replayDeadLetters } from '../../src/bus/dead-letter-queue.js';

export interface ConformanceOptions {
  /** Upper bound for a group to receive what it is owed (Kafka group joins take seconds). */
  deliveryTimeoutMs?: number;
  /** How long to watch for records that must not arrive. */
  quietMs?: number;
}

interface Collector {
  readonly received: DeliveredMessage[];
  readonly subscription: Subscription;
  waitFor(count: number): Promise<void>;
}

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function messages(topic: string, keys: readonly string[], perKey: number, from = 0): BusMessage[] {
  const out: BusMessage[] = [];
  for (let i = from; i < from + perKey; i++) {
    for (const key of keys) {
      out.push({ topic, key, value: Buffer.from(JSON.stringify({ key, seq: i })), headers: { 'fw-id': `${key}:e1:${i}`, 'fw-kind': 'test' } });
    }
  }
  return out;
}

const sequence = (batch: readonly DeliveredMessage[], key: string): number[] =>
  batch.filter((m) => m.key === key).map((m) => (JSON.parse(m.value.toString()) as { seq: number }).seq);

/** The value of one series of a metric, summed over the series whose labels include `labels`. */
async function metricSum(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

export function describeBusConformance(
  name: string, makeBus: (dependencies?: BusDependencies) => Bus | Promise<Bus>, options: ConformanceOptions = {},
): void {
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? 10_000;
  const quietMs = options.quietMs ?? 300;

  async function collect(bus: Bus, groupId: string, topics: string[], handle?: (batch: DeliveredMessage[]) => void): Promise<Collector> {
    const received: DeliveredMessage[] = [];
    const subscription = await bus.subscribe({
      groupId, topics, fromBeginning: true,
      async handle(batch) {
        handle?.(batch);
        received.push(...batch);
      },
    });
    return {
      received, subscription,
      async waitFor(count) {
        await expect.poll(() => received.length, { timeout: deliveryTimeoutMs, interval: 20 }).toBeGreaterThanOrEqual(count);
      },
    };
  }

  const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, quietMs));

  describe(`bus conformance: ${name}`, () => {
    it('delivers keyed messages with their keys, values and headers, in order per key', async () => {
      const bus = await makeBus();
      const topic = uniqueName('conf-order');
      const keys = ['VH-0001', 'VH-0002', 'CH-0003', 'VH-0004'];
      await bus.produce(messages(topic, keys, 10));
      await bus.produce(messages(topic, keys, 10, 10));
      const consumer = await collect(bus, uniqueName('g'), [topic]);
      await consumer.waitFor(80);
      await quiet();
      expect(consumer.received).toHaveLength(80);
      for (const key of keys) {
        expect(sequence(consumer.received, key)).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect(new Set(consumer.received.filter((m) => m.key === key).map((m) => m.partition)).size).toBe(1);
      }
      const first = consumer.received.find((m) => m.key === 'CH-0003');
      expect(first?.topic).toBe(topic);
      expect(first?.headers).toEqual({ 'fw-id': 'CH-0003:e1:0', 'fw-kind': 'test' });
      expect(JSON.parse(first?.value.toString() ?? '')).toEqual({ key: 'CH-0003', seq: 0 });
      await consumer.subscription.close();
      await bus.close();
    });

    it('resumes a group after its committed offset when the bus is reopened', async () => {
      const topic = uniqueName('conf-resume');
      const groupId = uniqueName('g');
      let bus = await makeBus();
      await bus.produce(messages(topic, ['VH-1', 'VH-2'], 5));
      const before = await collect(bus, groupId, [topic]);
      await before.waitFor(10);
      await before.subscription.close();
      await bus.close();

      bus = await makeBus();
      await bus.produce(messages(topic, ['VH-1', 'VH-2'], 3, 5));
      const after = await collect(bus, groupId, [topic]);
      await after.waitFor(6);
      await quiet();
      expect(before.received).toHaveLength(10);
      expect(after.received).toHaveLength(6);
      expect(sequence(after.received, 'VH-1')).toEqual([5, 6, 7]);
      expect(sequence(after.received, 'VH-2')).toEqual([5, 6, 7]);
      await after.subscription.close();
      await bus.close();
    });

    it('delivers a batch again when the handler rejected it, and commits it once handled', async () => {
      const topic = uniqueName('conf-retry');
      const groupId = uniqueName('g');
      let bus = await makeBus();
      await bus.produce(messages(topic, ['VH-9'], 6));
      let failures = 0;
      const attempts: number[][] = [];
      const received: DeliveredMessage[] = [];
      const subscription = await bus.subscribe({
        groupId, topics: [topic], fromBeginning: true,
        async handle(batch) {
          attempts.push(sequence(batch, 'VH-9'));
          if (failures < 2) {
            failures += 1;
            throw new Error('sink down');
          }
          received.push(...batch);
        },
      });
      await expect.poll(() => received.length, { timeout: deliveryTimeoutMs, interval: 20 }).toBe(6);
      await subscription.close();
      expect(failures).toBe(2);
      expect(attempts[0]?.[0]).toBe(0);
      expect(attempts[2]?.[0]).toBe(0);
      expect(sequence(received, 'VH-9')).toEqual([0, 1, 2, 3, 4, 5]);
      await bus.close();

      bus = await makeBus();
      const again = await collect(bus, groupId, [topic]);
      await quiet();
      expect(again.received).toHaveLength(0);
      await again.subscription.close();
      await bus.close();
    });

    it('reads a partition on from where the handler resumes it, skipping the records between, and a commit covers them', async () => {
      const topic = uniqueName('conf-resume-at');
      const groupId = uniqueName('g');
      let bus = await makeBus();
      await bus.produce(messages(topic, ['VH-1'], 10));
      const batches: number[][] = [];
      const offsets = (batch: readonly DeliveredMessage[]): number[] => batch.map((m) => Number(m.offset));
      let subscription = await bus.subscribe({
        groupId, topics: [topic], fromBeginning: true,
        async handle(batch) {
          batches.push(offsets(batch));
          if (batches.length > 1) return { commit: false };
          // More records arrive while the first batch is in hand; the handler already reflects those before 15.
          await bus.produce(messages(topic, ['VH-1'], 10, 10));
          return { commit: true, resumeAt: '15' };
        },
      });
      await expect.poll(() => batches.flat().at(-1), { timeout: deliveryTimeoutMs, interval: 20 }).toBe(19);
      await quiet();
      const [first = [], ...rest] = batches;
      expect(first[0]).toBe(0);
      expect(Math.max(...first)).toBeLessThan(10);
      expect(rest.flat()).toEqual([15, 16, 17, 18, 19]);
      await subscription.close();
      await bus.close();

      // Committed up to 15 by the batch that skipped; the later batches held their commits.
      bus = await makeBus();
      const after: number[] = [];
      subscription = await bus.subscribe({ groupId, topics: [topic], fromBeginning: true, async handle(batch) { after.push(...offsets(batch)); } });
      await expect.poll(() => after.length, { timeout: deliveryTimeoutMs, interval: 20 }).toBe(5);
      await quiet();
      expect(after).toEqual([15, 16, 17, 18, 19]);
      await subscription.close();
      await bus.close();
    });

    it('gives every group all the messages', async () => {
      const bus = await makeBus();
      const topic = uniqueName('conf-groups');
      const other = uniqueName('conf-groups-b');
      await bus.produce([...messages(topic, ['VH-1', 'CH-2'], 4), ...messages(other, ['VH-3'], 2)]);
      const one = await collect(bus, uniqueName('g1'), [topic, other]);
      const two = await collect(bus, uniqueName('g2'), [topic]);
      await Promise.all([one.waitFor(10), two.waitFor(8)]);
      await quiet();
      expect(one.received).toHaveLength(10);
      expect(two.received).toHaveLength(8);
      expect(sequence(one.received, 'VH-3')).toEqual([0, 1]);
      expect(sequence(two.received, 'CH-2')).toEqual([0, 1, 2, 3]);
      await Promise.all([one.subscription.close(), two.subscription.close()]);
      await bus.close();
    });

    it('sends a record its handler keeps failing on to the dead-letter topic once, with its origin, delivers every other record, and replays it with its id', async () => {
      const metrics = new Registry();
      const bus = await makeBus({ metrics });
      const topic = uniqueName('conf-poison');
      const groupId = uniqueName('g');
      const produced = messages(topic, ['VH-1', 'VH-2', 'CH-3'], 8);
      const poison = produced.find((m) => m.headers['fw-id'] === 'VH-2:e1:3') as BusMessage;
      await bus.produce(produced);
      const handled: DeliveredMessage[] = [];
      let poisonAttempts = 0;
      let seen: DeliveredMessage | undefined;
      let fixed = false;
      const subscription = await bus.subscribe({
        groupId, topics: [topic], fromBeginning: true,
        async handle(batch) {
          const bad = batch.find((m) => m.headers['fw-id'] === poison.headers['fw-id']);
          if (bad !== undefined && !fixed) {
            seen = bad;
            poisonAttempts += 1;
            throw new TypeError('cannot read properties of undefined (reading "soc")');
          }
          handled.push(...batch);
        },
      });
      await expect.poll(async () => (await findDeadLetters(bus, { group: groupId })).length, { timeout: deliveryTimeoutMs * 2, interval: 200 }).toBe(1);
      await expect.poll(() => handled.length, { timeout: deliveryTimeoutMs, interval: 20 }).toBe(23);
      await quiet();
      expect(new Set(handled.map((m) => m.headers['fw-id'])).size).toBe(23);
      expect(handled.some((m) => m.headers['fw-id'] === poison.headers['fw-id'])).toBe(false);
      expect(sequence(handled, 'VH-2')).toEqual([0, 1, 2, 4, 5, 6, 7]);
      expect(poisonAttempts).toBeGreaterThanOrEqual(5);
      const [letter] = await findDeadLetters(bus, { group: groupId });
      expect(letter?.key).toBe('VH-2');
      expect(letter?.value.equals(poison.value)).toBe(true);
      expect(letter?.headers).toMatchObject({
        'fw-id': 'VH-2:e1:3', 'fw-kind': 'dead_letter', 'fw-reason': 'handler_failed', 'fw-group': groupId,
        'fw-detail': 'cannot read properties of undefined (reading "soc")',
      });
      expect(JSON.parse(letter?.headers['fw-headers'] ?? '')).toEqual(poison.headers);
      expect(letter?.headers['fw-origin']).toBe(`${topic}/${seen?.partition}/${seen?.offset}`);
      expect(await metricSum(metrics, 'fleetwire_bus_records_dead_lettered_total', { group: groupId, topic })).toBe(1);
      expect(await metricSum(metrics, 'fleetwire_bus_handler_failures_total', { group: groupId, topic })).toBeGreaterThanOrEqual(4);

      // The handler is fixed; the letter goes back to its topic with its id and original headers.
      fixed = true;
      const replay = await replayDeadLetters(bus, { group: groupId });
      expect(replay.replayed.map((r) => r.id)).toEqual(['VH-2:e1:3']);
      await expect.poll(() => handled.length, { timeout: deliveryTimeoutMs, interval: 20 }).toBe(24);
      const replayed = handled.at(-1) as DeliveredMessage;
      expect(replayed.key).toBe('VH-2');
      expect(replayed.value.equals(poison.value)).toBe(true);
      expect(replayed.headers).toEqual({ ...poison.headers, 'fw-replayed-from': `${letter?.topic}/${letter?.partition}/${letter?.offset}` });
      await subscription.close();
      await bus.close();
    });

    it('reports a group\'s lag per partition while it works through a backlog, and none once it caught up', async () => {
      const metrics = new Registry();
      const bus = await makeBus({ metrics });
      const topic = uniqueName('conf-lag');
      const groupId = uniqueName('g');
      await bus.produce(messages(topic, ['VH-1', 'VH-2', 'VH-3', 'CH-4'], 50));
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let started = false;
      let handled = 0;
      const subscription = await bus.subscribe({
        groupId, topics: [topic], fromBeginning: true,
        async handle(batch) {
          started = true;
          await gate;
          handled += batch.length;
        },
      });
      await expect.poll(() => started, { timeout: deliveryTimeoutMs, interval: 20 }).toBe(true);
      const lags = (await bus.consumerLag()).filter((l) => l.group === groupId);
      expect(lags.reduce((sum, l) => sum + l.lag, 0)).toBe(200);
      expect(new Set(lags.map((l) => l.topic))).toEqual(new Set([topic]));
      expect(await metricSum(metrics, 'fleetwire_bus_consumer_lag_records', { group: groupId, topic })).toBe(200);
      open();
      await expect.poll(() => handled, { timeout: deliveryTimeoutMs, interval: 20 }).toBe(200);
      await expect.poll(() => metricSum(metrics, 'fleetwire_bus_consumer_lag_records', { group: groupId, topic }), { timeout: deliveryTimeoutMs, interval: 100 }).toBe(0);
      await subscription.close();
      await bus.close();
    });

    it('is ready while open and rejects a produce after close with a coded error', async () => {
      const bus = await makeBus();
      expect(await bus.ready()).toBe(true);
      await bus.close();
      await expect(bus.produce(messages(uniqueName('conf-closed'), ['VH-1'], 1))).rejects.toMatchObject({
        code: 'FW_BUS_CLOSED', canRetry: false,
      });
    });
  });
}
