import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage, DeliveredMessage } from '../../bus/bus.js';
import { createEmbeddedBus } from '../../bus/embedded/index.js';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createCheckpointStore, type CheckpointStore } from './checkpoint-store.js';
import { createPartitionedConsumer, type PartitionedConsumer } from './partitioned-consumer.js';
import { idListingConsumer, notingDeliveries, type AppliedIds } from '../../../test/support/id-listing-consumer.js';

const TOPIC = 'pc-records';
const BATCH = 25;
let dir = '';
let bus: Bus;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-partitioned-'));
  bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), partitions: 2, maxBatchMessages: BATCH, retryInitialMs: 10 });
});
afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

const records = (from: number, count: number): BusMessage[] =>
  Array.from({ length: count }, (_, i) => ({ topic: TOPIC, key: `VH-${(from + i) % 7}`, value: Buffer.from('x'), headers: { 'fw-id': `r-${from + i}` } }));

async function ready(via: Bus = bus): Promise<PartitionedConsumer<AppliedIds>> {
  const consumer = idListingConsumer({ bus: via, checkpointsBus: bus, groupId: 'pc-group', topic: TOPIC });
  await consumer.start();
  await expect.poll(() => consumer.ready(), { timeout: 10_000, interval: 20 }).toBe(true);
  return consumer;
}

const appliedIds = (consumer: PartitionedConsumer<AppliedIds>): string[] => consumer.owned().flatMap((p) => p.state.ids);

describe('partitioned consumer restart', () => {
  it('resumes at each checkpoint: the records before it are neither applied nor delivered past one batch, the tail is applied once', async () => {
    await bus.produce(records(0, 400));
    const first = await ready();
    expect(appliedIds(first)).toHaveLength(400);
    await first.stop();
    // The stop checkpointed every partition, but no batch committed: the group's offsets are still at the start.
    const checkpoints = await createCheckpointStore(bus).load('pc-group');
    expect([...checkpoints.values()].reduce((sum, c) => sum + c.next, 0)).toBe(400);

    await bus.produce(records(400, 60));
    const delivered: DeliveredMessage[] = [];
    const again = await ready(notingDeliveries(bus, delivered));
    const ids = appliedIds(again);
    expect(ids).toHaveLength(460);
    expect(new Set(ids)).toEqual(new Set(records(0, 460).map((m) => m.headers['fw-id'])));
    // Per partition: one batch from the group's offset, answered by skipping to the checkpoint, then only the tail.
    for (const [key, checkpoint] of checkpoints) {
      const partition = Number(key.slice(key.lastIndexOf('#') + 1));
      const before = delivered.filter((m) => m.partition === partition && Number(m.offset) < checkpoint.next);
      expect(before.map((m) => Number(m.offset))).toEqual(Array.from({ length: BATCH }, (_, i) => i));
    }
    expect(delivered.filter((m) => Number(m.headers['fw-id']?.slice(2)) >= 400)).toHaveLength(60);
    // The skip committed at the restored checkpoints (the tail's batches held theirs): the group is 60 behind, not 460.
    const lag = (await bus.consumerLag()).filter((l) => l.group === 'pc-group').reduce((sum, l) => sum + l.lag, 0);
    expect(lag).toBe(60);
    await again.stop();
  });
});

describe('partitioned consumer restore', () => {
  it('retries a failed checkpoint read for partitions no batch comes to, and becomes ready', async () => {
    const store = createCheckpointStore(bus);
    let loads = 0;
    const failingOnce: CheckpointStore = {
      save: (groupId, slot, checkpoint) => store.save(groupId, slot, checkpoint),
      async load(groupId) {
        loads += 1;
        if (loads === 1) throw new Error('checkpoints unreachable');
        return store.load(groupId);
      },
    };
    const consumer = createPartitionedConsumer<AppliedIds>({
      bus, store: failingOnce, groupId: 'pc-quiet', topics: [TOPIC], logger: pino({ level: 'silent' }), metrics: new Registry(),
      service: 'test', startedEvent: 'test_started',
      settings: { checkpointIntervalMs: 600_000, checkpointRecords: 1_000_000, readyMaxLag: 0, viewRefreshMs: 600_000, restoreLogIntervalMs: 100 },
      create: () => ({ ids: [] }),
      apply: async () => undefined,
      encode: (state) => state,
      decode: (data) => data as AppliedIds,
    });
    await consumer.start();
    // The topic is empty: no batch ever asks for the two partitions again.
    await expect.poll(() => consumer.ready(), { timeout: 5_000, interval: 20 }).toBe(true);
    expect(loads).toBe(2);
    expect(consumer.owned().map((p) => p.slot.partition).sort()).toEqual([0, 1]);
    await consumer.stop();
  });
});
