/**
 * The SQLite files the cloud keeps its own state in (the audit log, the return sagas, the
 * command log): WAL, and a full fsync per commit, because each of them answers callers or the
 * bus only after the commit and must never lose what it answered.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CloudError } from './errors.js';

/** Opens (creating it and its folder) and applies `schema`; a file it cannot use is FW_CONFIG_INVALID naming `what`. */
export function openStateFile(path: string, schema: string, what: string): Database.Database {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(schema);
    return db;
  } catch (cause) {
    throw new CloudError('FW_CONFIG_INVALID', `cannot use ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
}
