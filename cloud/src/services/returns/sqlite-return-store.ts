/**
 * The return sagas on one box: an SQLite file (WAL, synchronous=FULL) that holds each saga, the
 * bus offsets the sagas reflect, and the saga's steps not yet on the bus (an outbox).
 *
 * Invariants:
 * - A consumed batch is stored in one transaction: the sagas it changed, the steps they emit
 *   (outbox) and, per partition, the offset of its last record. So the store always says exactly
 *   which records it reflects; a record at or below a stored offset is skipped when the bus
 *   delivers it again (its group commit came after a crash that this transaction survived).
 * - A step is on the bus only after its outbox row was committed; the row is deleted once the bus
 *   stored it. Ids are derived from the saga (saga-records.ts), so producing a row twice (a crash
 *   between produce and delete) is a duplicate every consumer drops.
 * - A timeout is stored like a batch, without offsets.
 *
 * Tables: return_sagas(saga_id PRIMARY KEY, state, due_at, updated_at, body JSON) indexed by
 * (state, updated_at) and (due_at); return_offsets(topic, partition, offset) keyed by (topic,
 * partition); return_outbox(seq INTEGER PRIMARY KEY, message JSON).
 */
import { toBusMessage, type EventRecord } from '@fleetwire/protocol';
import type { BusMessage } from '../../bus/bus.js';
import { CloudError } from '../../errors.js';
import type { ReturnSaga, SagaState } from './return-saga.js';
import { openStateFile } from '../../sqlite-state-file.js';

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

export interface StoredChanges {
  sagas: readonly ReturnSaga[];
  records: readonly EventRecord[];
  offsets: readonly PartitionOffset[];
}

export interface OutboxEntry {
  seq: number;
  message: BusMessage;
}

export interface ReturnStore {
  get(sagaId: string): ReturnSaga | undefined;
  /** The last offset the store reflects on a partition; undefined before its first record. */
  offsetOf(topic: string, partition: number): bigint | undefined;
  /** One transaction: sagas, their steps to produce, the offsets. */
  store(changes: StoredChanges): void;
  /** Sagas whose deadline is at or before `now`, soonest first. */
  due(now: number, limit: number): ReturnSaga[];
  /** Newest first. */
  list(query: { state?: SagaState; limit: number }): ReturnSaga[];
  outbox(limit: number): OutboxEntry[];
  produced(seqs: readonly number[]): void;
  counts(): Record<string, number>;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS return_sagas (saga_id TEXT PRIMARY KEY, state TEXT NOT NULL, due_at INTEGER, updated_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS return_sagas_state ON return_sagas (state, updated_at);
CREATE INDEX IF NOT EXISTS return_sagas_due ON return_sagas (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS return_offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, offset TEXT NOT NULL, PRIMARY KEY (topic, partition));
CREATE TABLE IF NOT EXISTS return_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, message TEXT NOT NULL);
`;

interface StoredMessage {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

export function openSqliteReturnStore(path: string): ReturnStore {
  const db = openStateFile(path, SCHEMA, 'the return saga store');
  const selectSaga = db.prepare<[string], { body: string }>('SELECT body FROM return_sagas WHERE saga_id = ?');
  const selectOffset = db.prepare<[string, number], { offset: string }>('SELECT offset FROM return_offsets WHERE topic = ? AND partition = ?');
  const upsertSaga = db.prepare('INSERT INTO return_sagas (saga_id, state, due_at, updated_at, body) VALUES (@sagaId, @state, @dueAt, @updatedAt, @body) ON CONFLICT (saga_id) DO UPDATE SET state = excluded.state, due_at = excluded.due_at, updated_at = excluded.updated_at, body = excluded.body');
  const upsertOffset = db.prepare('INSERT INTO return_offsets (topic, partition, offset) VALUES (@topic, @partition, @offset) ON CONFLICT (topic, partition) DO UPDATE SET offset = excluded.offset');
  const insertOutbox = db.prepare<[string]>('INSERT INTO return_outbox (message) VALUES (?)');
  const deleteOutbox = db.prepare<[number]>('DELETE FROM return_outbox WHERE seq = ?');
  const parse = (row: { body: string }): ReturnSaga => JSON.parse(row.body) as ReturnSaga;

  const store = db.transaction((changes: StoredChanges) => {
    for (const saga of changes.sagas) upsertSaga.run({ sagaId: saga.sagaId, state: saga.state, dueAt: saga.dueAt, updatedAt: saga.updatedAt, body: JSON.stringify(saga) });
    for (const record of changes.records) {
      const message = toBusMessage(record);
      insertOutbox.run(JSON.stringify({ ...message, value: message.value.toString('utf8') } satisfies StoredMessage));
    }
    for (const offset of changes.offsets) upsertOffset.run(offset);
  });
  const produced = db.transaction((seqs: readonly number[]) => {
    for (const seq of seqs) deleteOutbox.run(seq);
  });
  const written = <T>(what: string, write: () => T): T => {
    try {
      return write();
    } catch (cause) {
      // A busy, full or failing disk passes: the batch is delivered again, never dead-lettered.
      throw new CloudError('FW_RETURNS_WRITE_FAILED', `return saga store ${path}: could not store ${what}`, { cause, canRetry: true });
    }
  };

  return {
    get: (sagaId) => {
      const row = selectSaga.get(sagaId);
      return row === undefined ? undefined : parse(row);
    },
    offsetOf: (topic, partition) => {
      const row = selectOffset.get(topic, partition);
      return row === undefined ? undefined : BigInt(row.offset);
    },
    store: (changes) => written('a saga step', () => store.immediate(changes)),
    due: (now, limit) => (db.prepare('SELECT body FROM return_sagas WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?').all(now, limit) as Array<{ body: string }>).map(parse),
    list: ({ state, limit }) => {
      const rows = state === undefined
        ? db.prepare('SELECT body FROM return_sagas ORDER BY updated_at DESC LIMIT ?').all(limit)
        : db.prepare('SELECT body FROM return_sagas WHERE state = ? ORDER BY updated_at DESC LIMIT ?').all(state, limit);
      return (rows as Array<{ body: string }>).map(parse);
    },
    outbox: (limit) =>
      (db.prepare('SELECT seq, message FROM return_outbox ORDER BY seq LIMIT ?').all(limit) as Array<{ seq: number; message: string }>).map((row) => {
        const stored = JSON.parse(row.message) as StoredMessage;
        return { seq: row.seq, message: { ...stored, value: Buffer.from(stored.value, 'utf8') } };
      }),
    produced: (seqs) => written('produced steps', () => produced(seqs)),
    counts: () => Object.fromEntries((db.prepare('SELECT state, count(*) AS n FROM return_sagas GROUP BY state').all() as Array<{ state: string; n: number }>).map((row) => [row.state, row.n])),
    close: () => db.close(),
  };
}
