import { describe, expect, it } from 'vitest';
import { EdgeError } from '../../errors.js';
import { eventRecord, telemetryRecord } from '../../../test/support/telemetry-records.js';
import { drainIds, useTestStore } from '../../../test/support/buffer-store.js';

const store = useTestStore();

const count = () => store.peek<{ n: number }[]>('SELECT count(*) AS n FROM records')[0]!.n;
const limits = { maxRecords: 1000, maxBytes: 1 << 30 };

describe('sqlite buffer: durability', () => {
  it('resolves append only after the group transaction committed, one transaction for the tick', async () => {
    const buffer = store.open({ commitIntervalMs: 20 });
    const first = buffer.append([telemetryRecord(1), telemetryRecord(2)]);
    const second = buffer.append([eventRecord(1, 'critical')]);
    expect(count()).toBe(0);
    await Promise.all([first, second]);
    expect(count()).toBe(3);
  });

  it('keeps committed records across close and reopen, unchanged', async () => {
    const records = [eventRecord(7, 'critical'), telemetryRecord(1), telemetryRecord(2)];
    const buffer = store.open();
    await buffer.append(records);
    await buffer.close();
    const reopened = store.open();
    expect(reopened.stats()).toMatchObject({ records: 3, byPriority: { critical: 1, alert: 0, telemetry: 2 } });
    expect(reopened.takeBatch(limits)?.records).toEqual(records);
  });

  it('commits at once when a group reaches maxGroupRecords', async () => {
    const buffer = store.open({ commitIntervalMs: 10_000, maxGroupRecords: 3 });
    await buffer.append([telemetryRecord(1), telemetryRecord(2), telemetryRecord(3)]);
    expect(count()).toBe(3);
  });

  it('ignores duplicate ids at insert and counts them', async () => {
    const buffer = store.open();
    await buffer.append([telemetryRecord(1), telemetryRecord(2), telemetryRecord(1)]);
    await buffer.append([telemetryRecord(2), telemetryRecord(3)]);
    expect(buffer.stats()).toMatchObject({ records: 3, ledger: { duplicate: 2 } });
    expect(drainIds(buffer)).toEqual(['VH-0001:b1:1', 'VH-0001:b1:2', 'VH-0001:b1:3']);
  });

  it('rejects an invalid record without failing the other appends of the tick', async () => {
    const buffer = store.open();
    const good = buffer.append([telemetryRecord(1)]);
    const bad = buffer.append([{ ...telemetryRecord(2), priority: 'urgent' } as never]);
    await expect(bad).rejects.toMatchObject({ code: 'FW_BUFFER_RECORD_INVALID' });
    await good;
    expect(count()).toBe(1);
  });

  it('keeps the original bytes of quarantined input', async () => {
    const buffer = store.open();
    const bytes = Buffer.from([0x7b, 0x00, 0xff, 0x22]);
    await buffer.quarantine({
      receivedAt: 1000,
      reason: 'malformed_json',
      detail: 'Unexpected token',
      topic: 'fleetwire/v1/vehicle/VH-0001/telemetry',
      source: { kind: 'vehicle', id: 'VH-0001' },
      bytes,
    });
    const rows = store.peek<{ reason: string; bytes: Buffer; source_id: string }[]>('SELECT reason, bytes, source_id FROM quarantine');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reason: 'malformed_json', source_id: 'VH-0001' });
    expect(Buffer.compare(rows[0]!.bytes, bytes)).toBe(0);
    expect(buffer.stats().quarantined).toBe(1);
  });

  it('refuses appends after close', async () => {
    const buffer = store.open();
    await buffer.close();
    await expect(buffer.append([telemetryRecord(1)])).rejects.toBeInstanceOf(EdgeError);
  });
});

describe('sqlite buffer: queue', () => {
  it('sends critical events first, then alerts, then telemetry', async () => {
    const buffer = store.open();
    await buffer.append([telemetryRecord(1), eventRecord(1, 'alert'), telemetryRecord(2), eventRecord(2, 'critical')]);
    await buffer.append([eventRecord(3, 'alert'), eventRecord(4, 'critical')]);
    const ids = drainIds(buffer, 2);
    expect(ids).toEqual(['VH-0001:e1:2', 'VH-0001:e1:4', 'VH-0001:e1:1', 'VH-0001:e1:3', 'VH-0001:b1:1', 'VH-0001:b1:2']);
  });

  it('does not hand out in-flight records twice; release puts them back', async () => {
    const buffer = store.open();
    await buffer.append([1, 2, 3, 4].map((s) => telemetryRecord(s)));
    store.clock.t += 60_000; // all backlog now: plain insertion order
    const first = buffer.takeBatch({ maxRecords: 2, maxBytes: 1 << 20 })!;
    const second = buffer.takeBatch({ maxRecords: 2, maxBytes: 1 << 20 })!;
    expect(buffer.takeBatch(limits)).toBeUndefined();
    expect([...first.records, ...second.records].map((r) => r.id)).toEqual(['VH-0001:b1:1', 'VH-0001:b1:2', 'VH-0001:b1:3', 'VH-0001:b1:4']);
    buffer.release(first);
    expect(buffer.takeBatch(limits)!.records.map((r) => r.id)).toEqual(['VH-0001:b1:1', 'VH-0001:b1:2']);
  });

  it('deletes acknowledged records and keeps the counters exact', async () => {
    const buffer = store.open();
    await buffer.append([eventRecord(1, 'critical'), telemetryRecord(1), telemetryRecord(2)]);
    const before = buffer.stats();
    const batch = buffer.takeBatch({ maxRecords: 2, maxBytes: 1 << 20 })!;
    buffer.acknowledge(batch);
    const after = buffer.stats();
    expect(after.records).toBe(1);
    expect(after.bytes).toBe(before.bytes - batch.bytes);
    expect(count()).toBe(1);
    expect(after.bytes).toBe(store.peek<{ b: number }[]>('SELECT total(bytes) AS b FROM records')[0]!.b);
  });

  it('clears in-flight marks on reopen so an unacknowledged batch is sent again', async () => {
    const buffer = store.open();
    await buffer.append([telemetryRecord(1), telemetryRecord(2)]);
    const taken = buffer.takeBatch(limits)!;
    await buffer.close();
    const reopened = store.open();
    expect(reopened.takeBatch(limits)!.records.map((r) => r.id)).toEqual(taken.records.map((r) => r.id));
  });

  it('sends live telemetry promptly while the backlog drains oldest first', async () => {
    const buffer = store.open({ liveWindowMs: 10_000, liveShare: 0.5 });
    await buffer.append(Array.from({ length: 200 }, (_, i) => telemetryRecord(i, { deviceId: 'VH-OLD' })));
    store.clock.t += 60_000;
    await buffer.append(Array.from({ length: 5 }, (_, i) => telemetryRecord(i, { deviceId: 'VH-LIVE' })));
    const batch = buffer.takeBatch({ maxRecords: 20, maxBytes: 1 << 20 })!;
    const ids = batch.records.map((r) => r.id);
    expect(ids.filter((id) => id.startsWith('VH-LIVE'))).toHaveLength(5);
    expect(ids.filter((id) => id.startsWith('VH-OLD'))).toEqual(Array.from({ length: 15 }, (_, i) => `VH-OLD:b1:${i}`));
    buffer.acknowledge(batch);
    // More live data keeps its share while the backlog keeps draining in order.
    await buffer.append(Array.from({ length: 50 }, (_, i) => telemetryRecord(100 + i, { deviceId: 'VH-LIVE' })));
    const next = buffer.takeBatch({ maxRecords: 20, maxBytes: 1 << 20 })!.records.map((r) => r.id);
    expect(next.filter((id) => id.startsWith('VH-LIVE'))).toHaveLength(10);
    expect(next.filter((id) => id.startsWith('VH-OLD'))).toEqual(Array.from({ length: 10 }, (_, i) => `VH-OLD:b1:${15 + i}`));
  });

  it('reports the age of the oldest unsent record from maintained counters', async () => {
    const buffer = store.open();
    expect(buffer.stats().oldestUnsentAgeMs).toBeNull();
    await buffer.append([telemetryRecord(1, { receivedAt: store.clock.t - 5000 }), eventRecord(1, 'critical', { receivedAt: store.clock.t - 9000 })]);
    expect(buffer.stats().oldestUnsentAgeMs).toBe(9000);
  });
});
