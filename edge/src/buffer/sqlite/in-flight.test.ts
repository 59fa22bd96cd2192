import { describe, expect, it, vi } from 'vitest';
import { serializedBatch, type OutgoingBatch } from '../buffer.js';
import { eventRecord, telemetryRecords } from '../../../test/support/telemetry-records.js';
import { drainIds, useTestStore } from '../../../test/support/buffer-store.js';

/** The machine is shared and slow at times: allow a few seconds for background work. */
const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5000, interval: 20 });

const store = useTestStore();

const ids = (batch: OutgoingBatch | undefined) => batch?.serialized?.map((r) => r.id) ?? [];
const room = (maxRecords: number) => ({ maxRecords, maxBytes: 1 << 30 });
const half = (batch: OutgoingBatch, from: number, to: number) => serializedBatch(`${batch.batchId}.${from}`, batch.serialized!.slice(from, to));
const stored = () => store.peek<{ n: number }[]>('SELECT count(*) AS n FROM records')[0]!.n;

describe('sqlite buffer: records in flight', () => {
  it('keeps several batches in flight apart, and a released one leaves first again', async () => {
    const buffer = store.open();
    await buffer.append(telemetryRecords(9));
    store.clock.t += 60_000; // all backlog: insertion order
    const [a, b, c] = [buffer.takeBatch(room(3)), buffer.takeBatch(room(3)), buffer.takeBatch(room(3))];
    expect([ids(a), ids(b), ids(c)]).toEqual([telemetryRecords(3), telemetryRecords(3, 3), telemetryRecords(3, 6)].map((r) => r.map((x) => x.id)));
    expect(buffer.takeBatch(room(3))).toBeUndefined();
    buffer.release(b!);
    buffer.acknowledge(a!);
    expect(ids(buffer.takeBatch(room(5)))).toEqual(ids(b));
    buffer.acknowledge(c!);
    expect(buffer.stats().records).toBe(3);
  });

  it('acknowledges one half of a split batch and sends exactly the released half again', async () => {
    const buffer = store.open();
    await buffer.append([eventRecord(1, 'critical'), ...telemetryRecords(5)]);
    const batch = buffer.takeBatch(room(6))!;
    buffer.acknowledge(half(batch, 0, 3));
    buffer.release(half(batch, 3, 6));
    expect(stored()).toBe(3);
    const again = buffer.takeBatch(room(6))!;
    expect(ids(again)).toEqual(ids(batch).slice(3));
    buffer.acknowledge(half(again, 0, 1));
    buffer.acknowledge(half(again, 1, 3));
    expect(buffer.stats()).toMatchObject({ records: 0, bytes: 0 });
    expect(buffer.takeBatch(room(6))).toBeUndefined();
  });

  it('takes around records in flight in every queue: critical, live and backlog', async () => {
    const buffer = store.open({ liveWindowMs: 10_000, liveShare: 0.5 });
    await buffer.append([...telemetryRecords(6), eventRecord(1, 'critical'), eventRecord(2, 'critical')]);
    store.clock.t += 60_000;
    await buffer.append(telemetryRecords(6, 100)); // live
    const first = buffer.takeBatch(room(5))!; // 2 critical, then 3 telemetry: live newest first + backlog oldest first
    const second = buffer.takeBatch(room(5))!;
    const third = buffer.takeBatch(room(5))!;
    const all = [...ids(first), ...ids(second), ...ids(third)];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(14);
    expect(ids(first).slice(0, 2)).toEqual(['VH-0001:e1:1', 'VH-0001:e1:2']);
    expect(ids(first)).toContain('VH-0001:b1:105');
    expect(ids(first)).toContain('VH-0001:b1:0');
    expect(buffer.takeBatch(room(5))).toBeUndefined();
  });

  it('acknowledging a batch twice or after a release deletes nothing else and keeps the counters exact', async () => {
    const buffer = store.open();
    await buffer.append(telemetryRecords(4));
    const batch = buffer.takeBatch(room(2))!;
    buffer.acknowledge(batch);
    buffer.acknowledge(batch);
    expect(buffer.stats()).toMatchObject({ records: 2 });
    const next = buffer.takeBatch(room(2))!;
    buffer.release(next);
    buffer.acknowledge(next); // not in flight any more: found by id, deleted once
    expect(buffer.stats()).toMatchObject({ records: 0, bytes: 0 });
    expect(stored()).toBe(0);
  });

  it('relief never deletes a record in flight: delivered or counted in the ledger, never both', async () => {
    const records = telemetryRecords(40);
    const size = records.reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify(r)), 0);
    const buffer = store.open({ maxBytes: size + 100, compactKeepEvery: 4, reliefStepRecords: 1000 });
    await buffer.append(records);
    store.clock.t += 60_000; // backlog now: compactable
    const held = buffer.takeBatch(room(10))!; // the 10 oldest, in flight
    await buffer.append(telemetryRecords(10, 100)); // over the quota: relief runs after this commit
    await eventually(() => expect(buffer.stats().ledger.compacted).toBeGreaterThan(0));
    const { ledger } = buffer.stats();
    expect(ledger.evicted_quota ?? 0).toBe(0);
    // Compaction kept every 4th of the 30 records not in flight, and none of the 10 in flight went.
    expect(ledger.compacted).toBe(30 - Math.ceil(30 / 4));
    const rows = store.peek<{ id: string }[]>('SELECT id FROM records');
    expect(ids(held).every((id) => rows.some((r) => r.id === id))).toBe(true);
    buffer.acknowledge(held);
    const delivered = [...ids(held), ...drainIds(buffer)];
    expect(delivered.length + ledger.compacted!).toBe(50);
    expect(new Set(delivered).size).toBe(delivered.length);
  });
});
