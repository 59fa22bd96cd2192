/**
 * Opening the database: pragmas, and the schema as an ordered list of migrations whose count is
 * kept in `meta.schema_version`. A migration is never edited once released; add a new one.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EdgeError } from '../../errors.js';

/** Priorities are stored as small integers so the queue index sorts them in send order. */
export const PRIORITY_CODE = { critical: 0, alert: 1, telemetry: 2 } as const;

const MIGRATIONS: readonly string[] = [
  `
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
];

export interface OpenOptions {
  path: string;
  synchronous: 'full' | 'normal';
}

export function openDatabase({ path, synchronous }: OpenOptions): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new EdgeError('FW_BUFFER_WRITE_FAILED', `cannot open buffer database ${path}`, { cause });
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // Keeps the WAL file from staying at its high-water mark after a burst.
  db.pragma('journal_size_limit = 67108864');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Database.Database): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  const current = hasMeta
    ? Number((db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)?.value ?? 0)
    : 0;
  if (current > MIGRATIONS.length) {
    throw new EdgeError('FW_BUFFER_OPTIONS_INVALID', `buffer database schema ${current} is newer than this agent (${MIGRATIONS.length})`);
  }
  db.transaction(() => {
    for (let v = current; v < MIGRATIONS.length; v += 1) db.exec(MIGRATIONS[v] as string);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
      .run(String(MIGRATIONS.length));
  })();
}
