import { describe, expect, it, vi } from 'vitest';
import { telemetryRecord, telemetryRecords } from '../../../test/support/telemetry-records.js';
import { drainIds, useTestStore } from '../../../test/support/buffer-store.js';
import { DedupeIndex, takeInIdOrder } from './dedupe-index.js';
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
    drainIds(buffer); // the 4th stale entry: the prune starts, in steps on the next turns
    await vi.waitFor(() => expect(count('stale')).toBe(0), { timeout: 5000, interval: 5 });
    expect(count('ids')).toBe(0);
    await buffer.append(telemetryRecords(2));
    expect(buffer.stats()).toMatchObject({ records: 2, ledger: { duplicate: 1 } });
  });

  it('prunes only stale entries: an id taken over since keeps its entry', async () => {
    const buffer = store.open({ idPruneRecords: 1000 });
    await buffer.append(telemetryRecords(2));
    drainIds(buffer);
    await buffer.append(telemetryRecords(1)); // takes over the stale entry of record 0
    await buffer.append(telemetryRecords(1, 10));
    await buffer.close(); // keeps the queue of stale entries (a table: a crash would too)
    const reopened = store.open({ idPruneRecords: 1 });
    reopened.acknowledge(reopened.takeBatch({ maxRecords: 1, maxBytes: 1 << 20 })!); // record 0 again: prune runs
    await vi.waitFor(() => expect(count('stale')).toBe(0), { timeout: 5000, interval: 5 });
    expect(store.peek<{ id: string }[]>('SELECT id FROM ids ORDER BY id')).toEqual([{ id: 'VH-0001:b1:10' }]);
    await reopened.append(telemetryRecords(1, 10));
    expect(reopened.stats()).toMatchObject({ records: 1, ledger: { duplicate: 1 } });
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
  /** A schema-2 database holding records 1..n under these ids. */
  function databaseWith(ids: string[]) {
    const db = openDatabase({ path: store.path, cacheBytes: 1 << 20 });
    const insert = db.prepare(`INSERT INTO records (seq, id, priority, kind, source_id, device_time, received_at, bytes, payload) VALUES (?, ?, 2, 'vehicle_telemetry', 'VH-1', 0, 0, 2, '{}')`);
    const entry = db.prepare('INSERT INTO ids (id, seq) VALUES (?, ?)');
    db.transaction(() => ids.forEach((id, i) => (insert.run(i + 1, id), entry.run(id, i + 1))))();
    return db;
  }
  /** Deletes every record: the trigger queues their entries in `stale`. */
  const deliverAll = (db: ReturnType<typeof openDatabase>) => db.prepare('DELETE FROM records').run().changes;
  const rows = (db: ReturnType<typeof openDatabase>, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  it('removes N queued entries in steps of at most K rows, one step per turn, ids in id order', () => {
    const ids = ['VH-7:a:0', 'VH-2:a:0', 'VH-9:a:0', 'VH-1:a:0', 'VH-5:a:0', 'VH-3:a:0', 'VH-8:a:0'];
    const db = databaseWith(ids);
    const turns: Array<() => void> = [];
    const index = new DedupeIndex(db, { pruneRecords: 5, stepRecords: 2, schedule: (step) => (turns.push(step), () => undefined) });
    deliverAll(db);
    const deletedIds: string[] = [];
    db.function('fw_seen', (id) => (deletedIds.push(String(id)), 0));
    db.exec('CREATE TEMP TRIGGER seen AFTER DELETE ON ids BEGIN SELECT fw_seen(old.id); END');

    index.deleted(4);
    expect(turns).toHaveLength(0); // below pruneRecords
    index.deleted(3);
    expect(turns).toHaveLength(1);
    expect([rows(db, 'ids'), rows(db, 'stale')]).toEqual([7, 7]); // nothing done in the calling turn
    let steps = 0;
    while (turns.length > 0) {
      expect(turns).toHaveLength(1); // one step at a time
      const before = rows(db, 'ids') + rows(db, 'stale');
      turns.shift()!();
      steps += 1;
      expect(before - (rows(db, 'ids') + rows(db, 'stale'))).toBeLessThanOrEqual(2);
    }
    expect([rows(db, 'ids'), rows(db, 'stale'), index.stale, index.pruning]).toEqual([0, 0, 0, false]);
    expect(deletedIds).toEqual([...ids].sort()); // one pass over the B-tree, in its order
    expect(steps).toBe(4 + 4 + 4); // read, delete from ids, delete from stale: ceil(7 / 2) each
    db.close();
  });

  it('keeps an entry taken over while the prune is under way, and stops at close', () => {
    const db = databaseWith(['VH-1:a:0', 'VH-1:a:1', 'VH-1:a:2']);
    const turns: Array<() => void> = [];
    const index = new DedupeIndex(db, { pruneRecords: 1, stepRecords: 10, schedule: (step) => (turns.push(step), () => turns.splice(0)) });
    index.deleted(deliverAll(db));
    turns.shift()!(); // read
    expect(index.claim('VH-1:a:1', 10)).toBe(true); // re-sent after delivery: takes the stale entry over
    turns.shift()!(); // ids
    turns.shift()!(); // stale
    expect(db.prepare('SELECT id, seq FROM ids').all()).toEqual([{ id: 'VH-1:a:1', seq: 10 }]);
    expect(rows(db, 'stale')).toBe(0);

    db.prepare("INSERT INTO records (seq, id, priority, kind, source_id, device_time, received_at, bytes, payload) VALUES (10, 'VH-1:a:1', 2, 'k', 'VH-1', 0, 0, 2, '{}')").run();
    index.deleted(deliverAll(db));
    expect(turns).toHaveLength(1);
    index.stop();
    expect(turns).toHaveLength(0); // the scheduled step is cancelled; the queue stays in the table
    expect(rows(db, 'stale')).toBe(1);
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
