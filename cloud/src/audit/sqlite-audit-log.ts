/**
 * The audit log on one box: an SQLite file (WAL, synchronous=FULL), append-only.
 *
 * Invariants:
 * - An entry is durable once `append` returned (the transaction committed with a full fsync).
 * - `seq` grows by one per entry with no gap; each entry is chained to the one before it
 *   (audit-chain.ts). Appends from several processes (the cloud, the command line issuing a
 *   token) are serialised by an IMMEDIATE transaction that reads the head and writes the next
 *   entry together.
 * - Triggers refuse UPDATE and DELETE, so the cloud itself cannot rewrite history by mistake.
 *   Someone with write access to the file can drop them — `verifyChain` is what detects that.
 * - `ref` is unique: recording the same operation again (a re-delivered bus record) returns the
 *   stored entry instead of appending a second one.
 *
 * Table: audit_log(seq INTEGER PRIMARY KEY, at, action, actor, subject, detail, ref UNIQUE,
 * prev_hash, hash), indexed by (subject, at) and (at) for the API's queries.
 */
import { CloudError } from '../errors.js';
import { chainEntry, type AuditEntry, type AuditInput, type ChainHead } from './audit-chain.js';
import { openStateFile } from '../sqlite-state-file.js';

export interface AuditQuery {
  subject?: string;
  action?: string;
  /** ms since the Unix epoch, inclusive. */
  from?: number;
  /** ms since the Unix epoch, exclusive. */
  to?: number;
  limit: number;
}

export interface AuditLog {
  /** Appends (or, for a `ref` already recorded, returns the stored entry). */
  append(input: AuditInput): { entry: AuditEntry; appended: boolean };
  query(query: AuditQuery): AuditEntry[];
  /** Every entry in sequence order, read lazily (for verify). */
  entries(): IterableIterator<AuditEntry>;
  head(): ChainHead | null;
  close(): void;
}

interface Row {
  seq: number;
  at: number;
  action: string;
  actor: string;
  subject: string;
  detail: string;
  ref: string | null;
  prev_hash: string;
  hash: string;
}

const toEntry = (row: Row): AuditEntry => ({
  seq: row.seq, at: row.at, action: row.action, actor: row.actor, subject: row.subject, detail: row.detail, ref: row.ref, prevHash: row.prev_hash, hash: row.hash,
});

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, action TEXT NOT NULL, actor TEXT NOT NULL, subject TEXT NOT NULL,
  detail TEXT NOT NULL, ref TEXT UNIQUE, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_subject_at ON audit_log (subject, at);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

export function openSqliteAuditLog(path: string): AuditLog {
  const db = openStateFile(path, SCHEMA, 'the audit log');
  const selectHead = db.prepare<[], Row>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1');
  const selectRef = db.prepare<[string], Row>('SELECT * FROM audit_log WHERE ref = ?');
  const insert = db.prepare(
    'INSERT INTO audit_log (seq, at, action, actor, subject, detail, ref, prev_hash, hash) VALUES (@seq, @at, @action, @actor, @subject, @detail, @ref, @prevHash, @hash)',
  );
  const append = db.transaction((input: AuditInput): { entry: AuditEntry; appended: boolean } => {
    if (input.ref !== undefined) {
      const stored = selectRef.get(input.ref);
      if (stored !== undefined) return { entry: toEntry(stored), appended: false };
    }
    const head = selectHead.get();
    const entry = chainEntry(head === undefined ? null : { seq: head.seq, hash: head.hash }, input);
    insert.run(entry);
    return { entry, appended: true };
  });

  return {
    append: (input) => {
      try {
        return append.immediate(input);
      } catch (cause) {
        // A busy, full or failing disk passes: the recorder must retry, never dead-letter the event.
        throw new CloudError('FW_AUDIT_WRITE_FAILED', `audit log ${path}: could not append ${input.action}`, { cause, canRetry: true });
      }
    },
    query({ subject, action, from, to, limit }) {
      const filters: Array<[string, unknown]> = [['subject = @subject', subject], ['action = @action', action], ['at >= @from', from], ['at < @to', to]];
      const where = filters.filter(([, value]) => value !== undefined).map(([clause]) => clause);
      const params = { limit, subject, action, from, to };
      const sql = `SELECT * FROM audit_log ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY seq LIMIT @limit`;
      return (db.prepare(sql).all(params) as Row[]).map(toEntry);
    },
    *entries() {
      for (const row of db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<Row>) yield toEntry(row);
    },
    head() {
      const row = selectHead.get();
      return row === undefined ? null : { seq: row.seq, hash: row.hash };
    },
    close: () => db.close(),
  };
}
