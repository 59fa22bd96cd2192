/**
 * synchronous = full, done off the event loop: the connection runs with synchronous = NORMAL
 * (a COMMIT writes its WAL frames and returns without an fsync) and this makes the WAL durable
 * with an fdatasync on libuv's thread pool (group-commit.ts settles the writers only after it).
 *
 * fdatasync on our own descriptor flushes the file, not the descriptor: everything SQLite
 * wrote to the WAL before the call started is on disk when it returns. The WAL file is never
 * replaced while the connection is open (a reset rewrites it in place, journal_size_limit
 * truncates it), so one descriptor serves for the buffer's life. Its directory entry is made
 * durable once at open: with NORMAL, SQLite would do that only at the first checkpoint.
 * Checkpoints are unchanged: with NORMAL SQLite still syncs the WAL before and the database
 * after each one, as with FULL.
 */
import { closeSync, fsyncSync, openSync, fdatasyncSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FileSync } from './options.js';

export interface WalSync {
  /** Resolves once everything committed before the call is on disk. */
  async(): Promise<void>;
  /** The same, blocking (at close). */
  now(): void;
  close(): void;
}

export function openWalSync(databasePath: string, fileSync: FileSync): WalSync {
  const folder = openSync(dirname(databasePath), 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
  const wal = openSync(`${databasePath}-wal`, 'r');
  return {
    async: () => fileSync.sync(wal),
    now: () => fdatasyncSync(wal),
    close: () => closeSync(wal),
  };
}
