import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { telemetryRecords } from '../../../test/support/telemetry-records.js';
import { useTestStore } from '../../../test/support/buffer-store.js';
import { BACKSTOP_PAGES, WalCheckpointer } from './wal-checkpointer.js';

const store = useTestStore();
const started: WalCheckpointer[] = [];
afterEach(async () => {
  for (const checkpointer of started.splice(0)) await checkpointer.close();
});

describe('sqlite buffer: WAL checkpoints in a worker thread', () => {
  it('runs the worker only while commits reach the rate, and lets it go after idleMs below it', () => {
    const db = new Database(store.path);
    db.pragma('journal_mode = WAL');
    const clock = { t: 10_000 };
    const checkpointer = new WalCheckpointer({ db, path: store.path, minRecordsPerSecond: 2000, idleMs: 5000, now: () => clock.t });
    started.push(checkpointer);
    checkpointer.committed(1500);
    clock.t += 1000;
    checkpointer.committed(1500); // 1,500 in each second: below the rate
    expect(checkpointer.running).toBe(false);
    checkpointer.committed(600);
    expect([checkpointer.running, db.pragma('wal_autocheckpoint', { simple: true })]).toEqual([true, BACKSTOP_PAGES]);
    clock.t += 4000;
    checkpointer.committed(0);
    expect(checkpointer.running).toBe(true);
    clock.t += 1000;
    checkpointer.committed(10); // 5 s after the last busy second
    expect([checkpointer.running, db.pragma('wal_autocheckpoint', { simple: true })]).toEqual([false, 1000]);
    db.close();
  });

  it('copies committed records into the database file while the buffer writes, and they all survive a reopen', async () => {
    const buffer = store.open({ checkpointWorkerRate: 1 });
    const empty = statSync(store.path).size;
    for (let group = 0; group < 10; group += 1) await buffer.append(telemetryRecords(200, group * 200));
    // ~1 MB of records, a few hundred WAL pages: below any automatic checkpoint on the main
    // connection, so only the worker can have moved them into the database file.
    await vi.waitFor(() => expect(statSync(store.path).size - empty).toBeGreaterThan(400_000), { timeout: 5000, interval: 20 });
    await buffer.close();
    const reopened = store.open({ checkpointWorkerRate: 0 });
    expect(reopened.stats().records).toBe(2000);
  });
});
