import { describe, expect, it, vi } from 'vitest';
import { telemetryRecord, telemetryRecords } from '../../../test/support/telemetry-records.js';
import { drainIds, useTestStore } from '../../../test/support/buffer-store.js';
import { IdsPrune, pruneBudget, takeInIdOrder } from './ids-prune.js';
import { openDatabase } from './schema.js';

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
    drainIds(buffer); // the 4th stale entry: pruned (a prune this small fits in one delete's share)
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

describe('sqlite buffer: pruning stale ids in bounded steps', () => {
  type Db = ReturnType<typeof openDatabase>;
  /** A database holding records 1..n under these ids. */
  function databaseWith(ids: string[]): Db {
    const db = openDatabase({ path: store.path, cacheBytes: 1 << 20 });
    const insert = db.prepare(`INSERT INTO records (seq, id, priority, kind, source_id, device_time, received_at, bytes, payload) VALUES (?, ?, 2, 'vehicle_telemetry', 'VH-1', 0, 0, 2, '{}')`);
    const entry = db.prepare('INSERT INTO ids (id, seq) VALUES (?, ?)');
    db.transaction(() => ids.forEach((id, i) => (insert.run(i + 1, id), entry.run(id, i + 1))))();
    return db;
  }
  /** Deletes the records with these seqs: the trigger queues their entries in `stale`. */
  const deliver = (db: Db, seqs: number[]) => db.prepare('DELETE FROM records WHERE seq IN (SELECT value FROM json_each(?))').run(JSON.stringify(seqs)).changes;
  const rows = (db: Db, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  /** Rows each transaction of the index changed, and the ids it deleted, in order. */
  function watch(db: Db) {
    const steps: number[] = [];
    const deletedIds: string[] = [];
    db.function('fw_seen', (id) => (deletedIds.push(String(id)), 0));
    db.exec('CREATE TEMP TRIGGER seen AFTER DELETE ON ids BEGIN SELECT fw_seen(old.id); END');
    const total = db.prepare('SELECT total_changes() AS n').pluck();
    const transaction = db.transaction.bind(db);
    vi.spyOn(db, 'transaction').mockImplementation(((fn: () => void) => () => {
      const before = total.get() as number;
      transaction(fn)();
      steps.push((total.get() as number) - before);
    }) as never);
    return { steps, deletedIds };
  }

  it('removes N queued entries in steps of at most K rows, a bounded amount per delete, ids in id order', () => {
    const ids = ['VH-7:a:0', 'VH-2:a:0', 'VH-9:a:0', 'VH-1:a:0', 'VH-5:a:0', 'VH-3:a:0', 'VH-8:a:0', 'VH-4:a:0', 'VH-6:a:0'];
    const db = databaseWith(ids);
    const index = new IdsPrune(db, { bulkRecords: 6, stepRecords: 2 });
    const { steps, deletedIds } = watch(db);

    index.deleted(deliver(db, [1, 2, 3, 4, 5]));
    expect(steps).toEqual([]); // below bulkRecords: nothing to do yet
    // From the 6th on, each delete of n records does at most max(3n, K) rows of the prune (plus
    // the rest of its last step), in transactions of at most K rows.
    const calls: Array<[number, number[]]> = [];
    for (const seqs of [[6], [7, 8], [9], [], [], [], []]) {
      const before = steps.length;
      const n = deliver(db, seqs);
      index.deleted(n);
      calls.push([n, steps.slice(before)]);
    }
    for (const [n, changed] of calls) {
      expect(changed.every((rows) => rows <= 2)).toBe(true);
      expect(changed.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(pruneBudget(n, 2) + 2);
    }
    expect(index.pruning).toBe(false);
    expect(deletedIds).toEqual(['VH-7:a:0', 'VH-2:a:0', 'VH-9:a:0', 'VH-1:a:0', 'VH-5:a:0', 'VH-3:a:0'].sort()); // one pass, in B-tree order
    expect([rows(db, 'ids'), rows(db, 'stale'), index.stale]).toEqual([3, 3, 3]); // queued after the prune began: the next one
    db.close();
  });

  it('keeps an entry taken over while the prune is under way', () => {
    const db = databaseWith(['VH-1:a:0', 'VH-1:a:1', 'VH-1:a:2']);
    const index = new IdsPrune(db, { bulkRecords: 3, stepRecords: 1 });
    index.deleted(deliver(db, [1, 2, 3])); // 9 rows of budget at most: reads 3, deletes 3 from ids, ...
    expect(index.pruning).toBe(true);
    db.prepare('DELETE FROM ids').run(); // (so the takeover below is what the rest of the prune meets)
    // Re-sent after delivery and merged since: the entry names the new record.
    db.prepare("INSERT INTO ids (id, seq) VALUES ('VH-1:a:1', 10)").run();
    while (index.pruning) index.deleted(0);
    expect(db.prepare('SELECT id, seq FROM ids').all()).toEqual([{ id: 'VH-1:a:1', seq: 10 }]);
    expect(rows(db, 'stale')).toBe(0);
    db.close();
  });

  it('merges sorted runs in id order', () => {
    const runs = [[{ seq: 1, id: 'a' }, { seq: 4, id: 'd' }], [{ seq: 2, id: 'b' }, { seq: 3, id: 'c' }, { seq: 5, id: 'e' }]];
    const heads = [0, 0];
    expect(takeInIdOrder(runs, heads, 3).map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(takeInIdOrder(runs, heads, 3).map((e) => e.id)).toEqual(['d', 'e']);
    expect(takeInIdOrder(runs, heads, 3)).toEqual([]);
  });
});
