/**
 * Opening one of the agent's SQLite files (the buffer, the vision store). Whatever goes wrong
 * at open — a folder that cannot be made, a file that is not a database or is corrupt, a full
 * disk during a schema upgrade — becomes one EdgeError naming the file and what to do, instead
 * of a raw SQLite error with a stack trace; the half-opened handle is closed.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EdgeError, type EdgeErrorCode } from './errors.js';

export interface SqliteFileOptions {
  path: string;
  /** What the file is, for the message: "buffer database", "vision store". */
  what: string;
  code: EdgeErrorCode;
  /** Pragmas and migrations; an EdgeError it throws is passed on as it is. */
  prepare: (db: Database.Database) => void;
}

export function openSqliteFile({ path, what, code, prepare }: SqliteFileOptions): Database.Database {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    prepare(db);
    return db;
  } catch (cause) {
    try {
      db?.close();
    } catch {
      // Closing a handle that failed half-way may fail too; the error below is what matters.
    }
    if (cause instanceof EdgeError) throw cause;
    throw new EdgeError(code, `cannot use ${what} ${path}: ${(cause as Error).message}${hintFor(cause)}`, { cause });
  }
}

function hintFor(cause: unknown): string {
  const sqliteCode = (cause as { code?: unknown }).code;
  switch (sqliteCode) {
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return ' (move the file aside to start empty; what it held is then not sent)';
    case 'SQLITE_FULL':
      return ' (free disk space and start again; an interrupted upgrade resumes)';
    case 'SQLITE_READONLY':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
    case 'EACCES':
    case 'EROFS':
    case 'ENOTDIR':
    case 'EEXIST':
      return ' (check that the data folder exists, is a folder and is writable by the agent)';
    default:
      return '';
  }
}
