/**
 * The send queue over the records table: picks candidates with index range scans on
 * (priority, seq) over the ranges that hold no in-flight record (`LeaseBook.gaps`), lets
 * `composeBatch` decide, and leases the chosen rows in memory. Acknowledged rows are deleted by
 * seq; released rows simply stop being leased. Nothing but the delete writes to the database.
 */
import type Database from 'better-sqlite3';
import { serializedBatch, type OutgoingBatch } from '../buffer.js';
import { composeBatch, type BatchRoom } from './batch-mix.js';
import type { BacklogCounters, RemovedRow } from './counters.js';
import { SEQ_END, type LeaseBook, type TakenRecord } from './leases.js';
import type { DedupeIndex } from './dedupe-index.js';

interface QueuedRow extends TakenRecord {
  bytes: number;
  payload: string;
  /** Which scan of which free range returned the row (rows of one segment form one run). */
  segment: number;
}

const COLUMNS = 'seq, id, priority, bytes, payload';
const RETURNED = 'RETURNING priority, bytes, level';

export class RecordQueue {
  readonly #db: Database.Database;
  readonly #counters: BacklogCounters;
  readonly #leases: LeaseBook;
  readonly #ids: DedupeIndex;
  readonly #ascending: Database.Statement<[number, number, number, number]>;
  readonly #descending: Database.Statement<[number, number, number, number]>;
  readonly #deleteSeqs: Database.Statement<[string]>;
  readonly #oldestReceived: Database.Statement<[number]>;
  #nextLease = 1;
  #segments = 0;

  constructor(db: Database.Database, counters: BacklogCounters, leases: LeaseBook, ids: DedupeIndex) {
    this.#db = db;
    this.#counters = counters;
    this.#leases = leases;
    this.#ids = ids;
    const range = 'FROM records WHERE priority = ? AND seq >= ? AND seq < ?';
    this.#ascending = db.prepare(`SELECT ${COLUMNS} ${range} ORDER BY seq LIMIT ?`);
    this.#descending = db.prepare(`SELECT ${COLUMNS} ${range} ORDER BY seq DESC LIMIT ?`);
    // One statement per batch, the keys passed as a JSON array.
    this.#deleteSeqs = db.prepare(`DELETE FROM records WHERE seq IN (SELECT value FROM json_each(?)) ${RETURNED}`);
    this.#oldestReceived = db.prepare('SELECT received_at AS at FROM records WHERE priority = ? ORDER BY seq LIMIT 1');
  }

  take(room: BatchRoom, liveStartSeq: number, liveShare: number): OutgoingBatch | undefined {
    const critical = this.#scan(0, 0, SEQ_END, room.maxRecords);
    const alert = critical.length < room.maxRecords ? this.#scan(1, 0, SEQ_END, room.maxRecords) : [];
    const telemetryRoom = room.maxRecords - critical.length - alert.length;
    const live = telemetryRoom > 0 ? this.#scan(2, liveStartSeq, SEQ_END, telemetryRoom, true) : [];
    const backlog = telemetryRoom > 0 ? this.#scan(2, 0, liveStartSeq, telemetryRoom) : [];
    // Within the batch: class order, then insertion order (live rows were picked newest first).
    const chosen = composeBatch({ critical, alert, live, backlog }, room, liveShare).sort(
      (a, b) => a.priority - b.priority || a.seq - b.seq,
    );
    if (chosen.length === 0) return undefined;
    const runs = new Map<number, QueuedRow[]>();
    for (const row of chosen) {
      const run = runs.get(row.segment);
      if (run === undefined) runs.set(row.segment, [row]);
      else run.push(row);
    }
    this.#leases.lease(runs.values());
    return serializedBatch(
      `lease-${this.#nextLease++}`,
      chosen.map((row) => ({ id: row.id, json: row.payload })),
    );
  }

  /** Deletes the records (a split half of a batch is acknowledged the same way). */
  acknowledge(ids: readonly string[]): void {
    const { seqs, unknown } = this.#leases.lookup(ids);
    const removed = this.#db.transaction(() => {
      const rows = this.#deleteSeqs.all(JSON.stringify(seqs)) as RemovedRow[];
      // Ids that are not in flight (acknowledged twice, or after a release): found through the dedupe index.
      if (unknown.length > 0) rows.push(...(this.#deleteSeqs.all(JSON.stringify(this.#ids.seqsOf(unknown))) as RemovedRow[]));
      return rows;
    })();
    this.#leases.acknowledged(ids);
    this.#counters.removed(removed);
    this.#ids.deleted(removed.length);
  }

  release(ids: readonly string[]): void {
    this.#leases.released(ids);
  }

  /** Edge receive time of the oldest stored record: three index lookups, no scan. */
  oldestReceivedAt(): number | null {
    let oldest: number | null = null;
    for (const priority of [0, 1, 2]) {
      if (this.#counters.records[priority] === 0) continue;
      const row = this.#oldestReceived.get(priority) as { at: number } | undefined;
      if (row && (oldest === null || row.at < oldest)) oldest = row.at;
    }
    return oldest;
  }

  /** Up to `limit` rows of `priority` with from <= seq < to that are not in flight, in scan order. */
  #scan(priority: number, from: number, to: number, limit: number, newestFirst = false): QueuedRow[] {
    const rows: QueuedRow[] = [];
    const statement = newestFirst ? this.#descending : this.#ascending;
    for (const [lo, hi] of this.#leases.gaps(priority, from, to, newestFirst)) {
      const segment = this.#segments++;
      for (const row of statement.all(priority, lo, hi, limit - rows.length) as QueuedRow[]) {
        row.segment = segment;
        rows.push(row);
      }
      if (rows.length >= limit) break;
    }
    return rows;
  }
}
