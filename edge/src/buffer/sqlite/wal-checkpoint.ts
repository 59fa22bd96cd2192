/**
 * WAL checkpoints without the event loop waiting for the disk (synchronous = full only).
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages, and with
 * NORMAL it fsyncs the WAL before copying and the database file after: the event loop stood
 * still 30–80 ms several times a second under load (measured in the intake bench). So the
 * buffer turns the automatic checkpoint off and group-commit.ts runs this one at a quiet
 * point — right after a WAL fsync, with nothing committed since it began, so every frame in
 * the WAL is already durable and the fsync before the copy has nothing left to do:
 *
 * 1. A second connection opens a read transaction. While a reader holds its snapshot, SQLite
 *    cannot restart the WAL (the next writer appends after the old frames instead of
 *    overwriting them).
 * 2. The copy runs on the buffer's connection with synchronous = OFF: the frames go into the
 *    database file through the page cache, no fsync (a few ms on the event loop).
 * 3. The database file is fdatasynced on the thread pool; the group commit holds its next
 *    commit meanwhile, as during a WAL fsync.
 * 4. Only then the reader ends, and the next commit finds the WAL fully copied and restarts it.
 *
 * So a WAL frame is overwritten only once the database file holding its page is on disk —
 * what SQLite's own checkpoint guarantees by advancing its backfill mark only after that fsync.
 * A crash at any step leaves a complete, durable WAL that recovery replays. A failed fsync
 * keeps the reader (the WAL keeps growing, nothing is overwritten) and is retried next time.
 */
import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { FileSync } from './options.js';

export interface WalCheckpoint {
  /** Copies the WAL into the database file and makes that durable; the WAL restarts at the next commit. */
  run(): Promise<void>;
  close(): void;
}

export function openWalCheckpoint(db: Database.Database, databasePath: string, fileSync: FileSync): WalCheckpoint {
  const pin = new Database(databasePath, { fileMustExist: true });
  let file: number | undefined;
  try {
    // It reads one row per checkpoint: its page cache needs next to nothing.
    pin.pragma('cache_size = -64');
    file = openSync(databasePath, 'r');
  } catch (error) {
    pin.close();
    throw error;
  }
  const database = file;
  const begin = pin.prepare('BEGIN');
  const read = pin.prepare('SELECT 1 FROM meta LIMIT 1');
  const end = pin.prepare('COMMIT');
  let pinned = false;

  return {
    async run() {
      if (!pinned) {
        begin.run();
        read.get();
        pinned = true;
      }
      db.pragma('synchronous = OFF');
      try {
        db.pragma('wal_checkpoint(PASSIVE)');
      } finally {
        db.pragma('synchronous = NORMAL');
      }
      await fileSync.sync(database);
      end.run();
      pinned = false;
    },
    close() {
      pin.close();
      closeSync(database);
    },
  };
}
