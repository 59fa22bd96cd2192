/**
 * Opening the database: pragmas, and the schema as an ordered list of migrations whose count is
 * kept in `meta.schema_version`. A migration is never edited once released; add a new one.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { EdgeError } from '../../errors.js';
import { openSqliteFile } from '../../sqlite-file.js';

/** Priorities are stored as small integers so the queue index sorts them in send order. */
export const PRIORITY_CODE = { critical: 0, alert: 1, telemetry: 2 } as const;

/**
 * A schema step. `sql` runs in one transaction together with the version bump. `step`, when
 * present, runs first and repeatedly, each call its own bounded transaction, until it returns
 * false: a large table is rebuilt piecewise, so the upgrade needs little free disk and an
 * interrupted upgrade resumes at the next open.
 */
interface Migration {
  step?: (db: Database.Database) => boolean;
  sql: string;
}

const RECORDS_V2 = `
  CREATE TABLE IF NOT EXISTS records_v2 (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL,            -- unique among stored records: see the ids table
    priority    INTEGER NOT NULL,            -- 0 critical, 1 alert, 2 telemetry
    kind        TEXT    NOT NULL,
    source_id   TEXT    NOT NULL,
    device_time INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,            -- UTF-8 length of payload
    payload     TEXT    NOT NULL,            -- the whole FleetRecord as JSON
    level       INTEGER NOT NULL DEFAULT 0   -- 1 once a compaction kept it
  ) STRICT;
  CREATE TABLE IF NOT EXISTS ids (
    id  TEXT    PRIMARY KEY,                 -- MessageId of a stored record (or a stale entry, see dedupe-index.ts)
    seq INTEGER NOT NULL                     -- records.seq of the record holding it
  ) STRICT, WITHOUT ROWID;
`;

/** Rows moved per transaction while the records table is rebuilt for schema 2. */
const REBUILD_STEP_ROWS = 5000;

const MIGRATIONS: readonly Migration[] = [
  {
    sql: `
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
  `,
  },
  // 2: no `lease` column (leases live in memory) and no UNIQUE index on records.id: the ids
  // table holds the dedupe keys and is pruned in bulk (dedupe-index.ts), so deleting a delivered
  // record touches no scattered index page.
  {
    step: rebuildRecordsStep,
    sql: `
    DROP TABLE records;
    ALTER TABLE records_v2 RENAME TO records;
    CREATE INDEX records_queue ON records (priority, seq);
    CREATE INDEX records_compactable ON records (seq) WHERE priority = 2 AND level = 0;
    CREATE TABLE stale (seq INTEGER PRIMARY KEY, id TEXT NOT NULL) STRICT;
    CREATE TRIGGER records_deleted AFTER DELETE ON records BEGIN
      INSERT INTO stale (seq, id) VALUES (old.seq, old.id);
    END;
    `,
  },
  // 3: new `ids` entries are merged in bulk (dedupe-index.ts); every record appended so far has its entry.
  {
    sql: `
    INSERT INTO meta (key, value)
      SELECT 'ids_merged_through', CAST(coalesce(max(seq), 0) AS TEXT) FROM sqlite_sequence WHERE name = 'records';
    `,
  },
];

/** Moves the oldest rows of the schema-1 records table into records_v2 and ids; false when none are left. Exported for its test. */
export function rebuildRecordsStep(db: Database.Database): boolean {
  return db.transaction(() => {
    db.exec(RECORDS_V2);
    // Seqs are never reused (ids entries name records by seq): carry the high-water mark over.
    db.prepare(
      `INSERT INTO sqlite_sequence (name, seq) SELECT 'records_v2', seq FROM sqlite_sequence
       WHERE name = 'records' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'records_v2')`,
    ).run();
    const { last } = db
      .prepare('SELECT max(seq) AS last FROM (SELECT seq FROM records ORDER BY seq LIMIT ?)')
      .get(REBUILD_STEP_ROWS) as { last: number | null };
    if (last === null) return false;
    db.prepare(
      `INSERT INTO records_v2 (seq, id, priority, kind, source_id, device_time, received_at, bytes, payload, level)
       SELECT seq, id, priority, kind, source_id, device_time, received_at, bytes, payload, level FROM records WHERE seq <= ? ORDER BY seq`,
    ).run(last);
    db.prepare('INSERT INTO ids (seq, id) SELECT seq, id FROM records WHERE seq <= ?').run(last);
    db.prepare('DELETE FROM records WHERE seq <= ?').run(last);
    return true;
  })();
}

export interface OpenOptions {
  path: string;
  cacheBytes: number;
  logger?: Logger | undefined;
}

export function openDatabase({ path, cacheBytes, logger }: OpenOptions): Database.Database {
  return openSqliteFile({
    path,
    what: 'buffer database',
    code: 'FW_BUFFER_UNUSABLE',
    prepare(db) {
      db.pragma('journal_mode = WAL');
      // Also for `full`: the buffer then fsyncs the WAL itself, off the event loop (wal-sync.ts).
      db.pragma('synchronous = NORMAL');
      // Keeps the WAL file from staying at its high-water mark after a burst.
      db.pragma('journal_size_limit = 67108864');
      db.pragma('busy_timeout = 5000');
      // A bound on the page cache (negative = KiB): memory stays flat however large the backlog.
      db.pragma(`cache_size = -${Math.max(1, Math.round(cacheBytes / 1024))}`);
      migrate(db, logger);
    },
  });
}

function migrate(db: Database.Database, logger: Logger | undefined): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  const current = hasMeta
    ? Number((db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)?.value ?? 0)
    : 0;
  if (current > MIGRATIONS.length) {
    throw new EdgeError('FW_BUFFER_OPTIONS_INVALID', `buffer database schema ${current} is newer than this agent (${MIGRATIONS.length})`);
  }
  const setVersion = (version: number): void => {
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
      .run(String(version));
  };
  for (let v = current; v < MIGRATIONS.length; v += 1) {
    const migration = MIGRATIONS[v] as Migration;
    const started = performance.now();
    let steps = 0;
    while (migration.step?.(db)) steps += 1;
    db.transaction(() => {
      db.exec(migration.sql);
      setVersion(v + 1);
    })();
    if (v > 0) {
      logger?.info({ event: 'buffer_schema_migrated', version: v + 1, steps, ms: Math.round(performance.now() - started) }, 'buffer_schema_migrated');
    }
  }
}
