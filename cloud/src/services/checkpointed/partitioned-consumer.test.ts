import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage, DeliveredMessage } from '../../bus/bus.js';
import { createEmbeddedBus } from '../../bus/embedded/index.js';
import { createCheckpointStore } from './checkpoint-store.js';
import { createPartitionedConsumer, type PartitionedConsumer } from './partitioned-consumer.js';

/** A state that lists the ids it applied: exactly-once shows as each id once. */
interface Applied { ids: string[] }

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

/** The bus, with every record it hands the consumer's group noted. */
function noting(delivered: DeliveredMessage[]): Bus {
  return { ...bus, subscribe: (options) => bus.subscribe({ ...options, handle: (batch, progress) => (delivered.push(...batch), options.handle(batch, progress)) }) };
}

async function ready(via: Bus = bus): Promise<PartitionedConsumer<Applied>> {
  const consumer = createPartitionedConsumer<Applied>({
    bus: via, store: createCheckpointStore(bus), groupId: 'pc-group', topics: [TOPIC], logger: pino({ level: 'silent' }),
    metrics: new Registry(), service: 'test', startedEvent: 'test_started',
    // Never due while running: the group's offset stays where it began, only the stop checkpoints.
    settings: { checkpointIntervalMs: 600_000, checkpointRecords: 1_000_000, readyMaxLag: 0, viewRefreshMs: 600_000, restoreLogIntervalMs: 600_000 },
    create: () => ({ ids: [] }),
    async apply(state, batch) {
      state.ids.push(...batch.map((m) => m.headers['fw-id'] as string));
    },
    encode: (state) => state,
    decode: (data) => data as Applied,
  });
  await consumer.start();
  await expect.poll(() => consumer.ready(), { timeout: 10_000, interval: 20 }).toBe(true);
  return consumer;
}

const appliedIds = (consumer: PartitionedConsumer<Applied>): string[] => consumer.owned().flatMap((p) => p.state.ids);

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
    const again = await ready(noting(delivered));
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
