import { describe, expect, it, vi } from 'vitest';
import { telemetryRecord, telemetryRecords } from '../../../test/support/telemetry-records.js';
import { drainIds, useTestStore } from '../../../test/support/buffer-store.js';

const store = useTestStore();

const count = (table: string) => store.peek<{ n: number }[]>(`SELECT count(*) AS n FROM ${table}`)[0]!.n;

describe('sqlite buffer: duplicate ids', () => {
  it('ignores an id while its record is stored, also after a restart', async () => {
    const buffer = store.open();
    await buffer.append(telemetryRecords(3));
    await buffer.close();
    const reopened = store.open();
    await reopened.append(telemetryRecords(3, 2));
    expect(reopened.stats()).toMatchObject({ records: 5, ledger: { duplicate: 1 } });
  });

  it('stores an id again once its record was delivered, before and after the stale entry is pruned', async () => {
    const buffer = store.open({ idPruneRecords: 4 });
    await buffer.append(telemetryRecords(3));
    drainIds(buffer);
    expect(count('stale')).toBe(3); // below idPruneRecords: entries wait, harmlessly
    await buffer.append(telemetryRecords(1)); // re-sent after delivery: taken over, stored again
    expect(buffer.stats()).toMatchObject({ records: 1, ledger: {} });
    await buffer.append(telemetryRecords(1)); // ...and now a duplicate again
    expect(buffer.stats().ledger.duplicate).toBe(1);
    drainIds(buffer); // the 4th stale entry: pruned
    expect(count('stale')).toBe(0);
    expect(count('ids')).toBe(0);
    await buffer.append(telemetryRecords(2));
    expect(buffer.stats()).toMatchObject({ records: 2, ledger: { duplicate: 1 } });
  });

  it('prunes only stale entries: an id taken over since keeps its entry', async () => {
    // 2: entries are merged into `ids`, and stale ones pruned, two at a time.
    const buffer = store.open({ idPruneRecords: 2, liveWindowMs: 0 });
    const deliverOldest = () => buffer.acknowledge(buffer.takeBatch({ maxRecords: 1, maxBytes: 1 << 20 })!);
    await buffer.append(telemetryRecords(2)); // 0 and 1, merged
    expect(store.peek<{ id: string }[]>('SELECT id FROM ids ORDER BY id')).toEqual([{ id: 'VH-0001:b1:0' }, { id: 'VH-0001:b1:1' }]);
    deliverOldest(); // 0: its entry queued as stale
    await buffer.append(telemetryRecords(1)); // 0 re-sent: takes the stale entry over
    await buffer.append(telemetryRecords(1, 10)); // the merge writes the taken-over entry
    deliverOldest(); // 1: two stale entries queued, prune runs
    expect(count('stale')).toBe(0);
    expect(store.peek<{ id: string }[]>('SELECT id FROM ids ORDER BY id')).toEqual([{ id: 'VH-0001:b1:0' }, { id: 'VH-0001:b1:10' }]);
    await buffer.close();
    const reopened = store.open({ idPruneRecords: 2 });
    await reopened.append([...telemetryRecords(1), ...telemetryRecords(1, 10)]);
    expect(reopened.stats()).toMatchObject({ records: 2, ledger: { duplicate: 2 } });
  });

  it('refuses a duplicate of a record not merged into `ids` yet, also after a restart, and merges in bulk', async () => {
    const buffer = store.open({ idPruneRecords: 5 });
    await buffer.append(telemetryRecords(4));
    expect(count('ids')).toBe(0); // four fresh entries: below the bulk size, nothing written yet
    await buffer.append(telemetryRecords(2, 3)); // 3 is a duplicate of a fresh record
    expect(buffer.stats().ledger.duplicate).toBe(1);
    expect(count('ids')).toBe(5); // the fifth fresh entry: all merged in one transaction
    await buffer.append(telemetryRecords(1, 5));
    await buffer.close();
    const reopened = store.open({ idPruneRecords: 5 });
    // 5 was fresh when the store closed: read back from the records above the merge mark.
    await reopened.append(telemetryRecords(6));
    expect(reopened.stats()).toMatchObject({ records: 6, ledger: { duplicate: 7 } });
    // A record not in flight is still found by id (acknowledged after a release).
    const batch = reopened.takeBatch({ maxRecords: 10, maxBytes: 1 << 20 })!;
    reopened.release(batch);
    reopened.acknowledge(batch);
    expect(reopened.stats().records).toBe(0);
  });

  it('merges in bounded steps spread over the next group commits, leaving out records delivered meanwhile', async () => {
    const buffer = store.open({ idPruneRecords: 100, idStepRecords: 10, liveWindowMs: 0 });
    const mark = () => store.peek<{ value: string }[]>("SELECT value FROM meta WHERE key = 'ids_merged_through'")[0]?.value;
    for (let i = 0; i < 100; i += 10) await buffer.append(telemetryRecords(10, i));
    // The 100th fresh entry started the merge; that group paid for two steps: seqs 1-20 collected.
    expect([count('ids'), mark()]).toEqual([0, '0']);
    expect(drainIds(buffer)).toHaveLength(100);
    let next = 100;
    while (mark() === '0' && next < 120) await buffer.append(telemetryRecords(1, next++));
    // A step per group: eight collect seqs 21-100 (delivered, so nothing), two go through the 20
    // collected before the delivery, the last finds the end.
    expect([mark(), next]).toEqual(['100', 111]);
    expect(count('ids')).toBe(0); // the 20 collected before the delivery were left out
    // The entries of the records still stored are found, merged or fresh.
    await buffer.append(telemetryRecords(10, 100));
    expect(buffer.stats()).toMatchObject({ records: 11, ledger: { duplicate: 10 } });
  });

  it('queues the entries of records removed by relief or expiry too', async () => {
    const hour = 3_600_000;
    const buffer = store.open({ maxAgeMs: hour, maintenanceIntervalMs: 10, idPruneRecords: 1_000_000 });
    await buffer.append(Array.from({ length: 5 }, (_, i) => telemetryRecord(i, { receivedAt: store.clock.t - 2 * hour })));
    await vi.waitFor(() => expect(buffer.stats().ledger.expired).toBe(5), { timeout: 5000, interval: 20 });
    expect(count('stale')).toBe(5);
    await buffer.append(telemetryRecords(5)); // all stale: stored again
    expect(buffer.stats().records).toBe(5);
  });
});
