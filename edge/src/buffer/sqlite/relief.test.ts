import { describe, expect, it, vi } from 'vitest';
import type { FleetRecord } from '@fleetwire/protocol';
import { eventRecord, telemetryRecord, telemetryRecords } from '../../../test/support/telemetry-records.js';
import { drainIds, useTestStore } from '../../../test/support/buffer-store.js';

/** The machine is shared and slow at times: allow a few seconds for background work. */
const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5000, interval: 20 });

const store = useTestStore();

const size = (r: FleetRecord) => Buffer.byteLength(JSON.stringify(r));
const sum = (records: FleetRecord[]) => records.reduce((total, r) => total + size(r), 0);
const critical = (n: number) => Array.from({ length: n }, (_, i) => eventRecord(i, 'critical'));
const margin = 0.05;

/** Stores records in a first session, so in the next one they are backlog rather than live. */
async function storeBacklog(records: FleetRecord[]): Promise<void> {
  const first = store.open();
  await first.append(records);
  await first.close();
}

describe('sqlite buffer: quota', () => {
  it('compacts the oldest telemetry first (every 4th record kept) and counts each removed record', async () => {
    const records = telemetryRecords(100);
    await storeBacklog(records);
    const maxBytes = Math.floor(sum(records) * 0.9);
    // Relief runs at open (and after every commit): the reopened store is over its quota.
    const buffer = store.open({ maxBytes, reliefMargin: margin, compactKeepEvery: 4, reliefStepRecords: 40 });
    await eventually(() => expect(buffer.stats().ledger).toEqual({ compacted: 30 }));
    const kept = drainIds(buffer).filter((id) => id.includes(':b1:')).map((id) => Number(id.split(':')[2]));
    const expected = [...Array.from({ length: 10 }, (_, i) => i * 4), ...Array.from({ length: 60 }, (_, i) => 40 + i)];
    expect(kept).toEqual(expected);
  });

  it('evicts the oldest telemetry when compaction is not enough, never a critical event, ledger exact', async () => {
    const events = critical(10);
    const records = telemetryRecords(100);
    await storeBacklog([...events, ...records]);
    const survivorsOfCompaction = records.filter((_, i) => i % 4 === 0);
    const maxBytes = sum(events) + sum(survivorsOfCompaction.slice(0, 10));
    // Expected eviction, with the policy's arithmetic: oldest survivors until below the margin.
    let stored = sum(events) + sum(survivorsOfCompaction);
    const need = Math.ceil(stored - maxBytes * (1 - margin));
    let freed = 0;
    let evicted = 0;
    while (freed < need) freed += size(survivorsOfCompaction[evicted++]!);
    stored -= freed;

    const buffer = store.open({ maxBytes, reliefMargin: margin, compactKeepEvery: 4, reliefStepRecords: 1000 });
    await eventually(() => expect(buffer.stats().ledger).toEqual({ compacted: 75, evicted_quota: evicted }));
    const stats = buffer.stats();
    expect(stats.bytes).toBe(stored);
    expect(stats.byPriority).toEqual({ critical: 10, alert: 0, telemetry: 25 - evicted });
    const ids = drainIds(buffer);
    expect(ids.filter((id) => id.includes(':e1:'))).toEqual(events.map((r) => r.id));
    expect(ids.filter((id) => id.includes(':b1:'))).toEqual(survivorsOfCompaction.slice(evicted).map((r) => r.id));
    // What went missing is exactly what the ledger says.
    expect(110 - ids.length).toBe(75 + evicted);
  });

  it('lets critical events exceed the quota rather than drop one', async () => {
    const buffer = store.open({ maxBytes: 1000 });
    await buffer.append(critical(20));
    expect(buffer.stats()).toMatchObject({ records: 20, ledger: {} });
  });
});

describe('sqlite buffer: free-disk floor', () => {
  it('evicts telemetry then alerts, keeps every critical event, refuses appends until there is room', async () => {
    const buffer = store.open({ minFreeDiskBytes: 1 << 30, maintenanceIntervalMs: 10 });
    const alerts = Array.from({ length: 5 }, (_, i) => eventRecord(100 + i, 'alert'));
    await buffer.append([...critical(10), ...alerts, ...telemetryRecords(50)]);
    store.disk.free = 0;
    await eventually(() => expect(buffer.stats().byPriority).toEqual({ critical: 10, alert: 0, telemetry: 0 }));
    const ledger = buffer.stats().ledger;
    expect((ledger.compacted ?? 0) + (ledger.evicted_disk ?? 0)).toBe(55);
    await expect(buffer.append([telemetryRecord(500)])).rejects.toMatchObject({ code: 'FW_BUFFER_FULL', canRetry: true });
    store.disk.free = Number.MAX_SAFE_INTEGER;
    await eventually(() => buffer.append([telemetryRecord(501)]));
    expect(drainIds(buffer).filter((id) => id.includes(':e1:'))).toHaveLength(10);
  });
});

describe('sqlite buffer: expiry', () => {
  it('expires telemetry older than maxAgeMs and counts it; events stay', async () => {
    const hour = 3_600_000;
    const buffer = store.open({ maxAgeMs: hour, maintenanceIntervalMs: 10 });
    const old = Array.from({ length: 30 }, (_, i) => telemetryRecord(i, { receivedAt: store.clock.t - 2 * hour }));
    const oldEvents = Array.from({ length: 5 }, (_, i) => eventRecord(i, 'critical', { receivedAt: store.clock.t - 2 * hour }));
    const fresh = Array.from({ length: 20 }, (_, i) => telemetryRecord(100 + i));
    await buffer.append([...old, ...oldEvents, ...fresh]);
    await eventually(() => expect(buffer.stats().ledger.expired).toBe(30));
    expect(buffer.stats().byPriority).toEqual({ critical: 5, alert: 0, telemetry: 20 });
  });
});
