import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { FleetRecord } from '@fleetwire/protocol';
import { eventRecord, telemetryRecord, telemetryRecords } from '../../../test/support/telemetry-records.js';
import { toRecordRow } from './records.js';
import { rebuildRecordsStep } from './schema.js';
import { drainIds, useTestStore } from '../../../test/support/buffer-store.js';

/** The on-disk format the released schema 1 agent wrote (its migration 1, verbatim). */
const SCHEMA_1 = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE records (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    priority    INTEGER NOT NULL,            -- 0 critical, 1 alert, 2 telemetry
    kind        TEXT    NOT NULL,
    source_id   TEXT    NOT NULL,
    device_time INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,            -- UTF-8 length of payload
    payload     TEXT    NOT NULL,            -- the whole FleetRecord as JSON
    level       INTEGER NOT NULL DEFAULT 0,  -- 1 once a compaction kept it
    lease       INTEGER                      -- NULL: queued; else the in-flight batch holding it
  ) STRICT;
  CREATE INDEX records_queue ON records (priority, seq);
  CREATE INDEX records_compactable ON records (seq) WHERE priority = 2 AND level = 0;
  CREATE TABLE quarantine (
    qid         INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    topic       TEXT,
    source_kind TEXT,
    source_id   TEXT,
    bytes       BLOB    NOT NULL
  ) STRICT;
  CREATE TABLE ledger (reason TEXT PRIMARY KEY, count INTEGER NOT NULL) STRICT;
  INSERT INTO meta (key, value) VALUES ('schema_version', '1');
`;

/** A schema-1 buffer file as an old agent leaves it: some records in flight, the newest one delivered. */
function writeSchema1(path: string, records: readonly FleetRecord[]): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_1);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO records (id, priority, kind, source_id, device_time, received_at, bytes, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const record of records) {
      const r = toRecordRow(record);
      insert.run(r.id, r.priority, r.kind, r.sourceId, r.deviceTime, r.receivedAt, r.bytes, r.payload);
    }
  })();
  db.exec(`
    UPDATE records SET lease = 7 WHERE seq IN (SELECT seq FROM records ORDER BY seq LIMIT 2);
    DELETE FROM records WHERE seq = (SELECT max(seq) FROM records);
    INSERT INTO ledger (reason, count) VALUES ('evicted_quota', 3);
    INSERT INTO quarantine (received_at, reason, detail, bytes) VALUES (1, 'malformed_json', 'x', x'7b');
  `);
  db.close();
}

const store = useTestStore();


describe('sqlite buffer: schema 1 → 2 → 3', () => {
  it('keeps every record of a schema-1 file, in send order, with its ledger, quarantine and dedupe', async () => {
    const records = [...telemetryRecords(5), eventRecord(1, 'critical'), ...telemetryRecords(3, 5), eventRecord(2, 'alert'), telemetryRecord(99)];
    writeSchema1(store.path, records);
    const buffer = store.open();
    const kept = records.slice(0, -1); // the newest was delivered before the upgrade
    expect(buffer.stats()).toMatchObject({
      records: kept.length,
      bytes: kept.reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify(r)), 0),
      byPriority: { critical: 1, alert: 1, telemetry: 8 },
      quarantined: 1,
      ledger: { evicted_quota: 3 },
    });
    expect(store.peek<{ value: string }[]>("SELECT value FROM meta WHERE key = 'schema_version'")[0]!.value).toBe('3');
    expect(store.peek<{ name: string }[]>('PRAGMA table_info(records)').map((c) => c.name)).not.toContain('lease');
    // Schema 3: every record of the old file has its `ids` entry, none is waiting for a merge.
    expect(store.peek<{ value: string }[]>("SELECT value FROM meta WHERE key = 'ids_merged_through'")[0]!.value).toBe(String(records.length));
    // Ids of stored records are still duplicates; the delivered one is stored again, after every old seq.
    await buffer.append([telemetryRecord(2), telemetryRecord(99)]);
    expect(buffer.stats().ledger.duplicate).toBe(1);
    const seqs = store.peek<{ id: string; seq: number }[]>('SELECT id, seq FROM records ORDER BY seq');
    expect(seqs.at(-1)).toEqual({ id: 'VH-0001:b1:99', seq: records.length + 1 });
    // The two records that were in flight when the old agent stopped are sent again, first among telemetry.
    expect(drainIds(buffer)).toEqual([
      'VH-0001:e1:1',
      'VH-0001:e1:2',
      ...telemetryRecords(8).map((r) => r.id),
      'VH-0001:b1:99',
    ]);
  });

  it('resumes an upgrade that was interrupted half-way', async () => {
    const records = telemetryRecords(12_001);
    writeSchema1(store.path, records);
    const db = new Database(store.path);
    expect(rebuildRecordsStep(db)).toBe(true); // one step moved, then the process "died"
    db.close();
    const buffer = store.open();
    expect(buffer.stats().records).toBe(12_000);
    expect(drainIds(buffer, 5000)).toEqual(records.slice(0, 12_000).map((r) => r.id));
  });

  it('a fresh file gets schema 3 directly', () => {
    store.open();
    expect(store.peek<{ value: string }[]>("SELECT value FROM meta WHERE key = 'schema_version'")[0]!.value).toBe('3');
    expect(store.peek<{ value: string }[]>("SELECT value FROM meta WHERE key = 'ids_merged_through'")[0]!.value).toBe('0');
    expect(store.peek<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((t) => t.name)).toEqual([
      'ids', 'ledger', 'meta', 'quarantine', 'records', 'sqlite_sequence', 'stale',
    ]);
  });
});
