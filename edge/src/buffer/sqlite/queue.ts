/**
 * The send queue over the records table: picks candidates with index range scans on
 * (priority, seq), lets `composeBatch` decide, and marks the chosen rows in flight with a lease
 * so they are not taken twice. Acknowledged rows are deleted; released rows are re-queued.
 */
import type Database from 'better-sqlite3';
import { serializedBatch, type OutgoingBatch } from '../buffer.js';
import { composeBatch, type BatchRoom } from './batch-mix.js';
import type { BacklogCounters, RemovedRow } from './counters.js';

interface QueuedRow {
  seq: number;
  id: string;
  priority: number;
  bytes: number;
  payload: string;
}

const COLUMNS = 'seq, id, priority, bytes, payload';

export class RecordQueue {
  readonly #counters: BacklogCounters;
  readonly #oldest: Database.Statement<[number, number]>;
  readonly #live: Database.Statement<[number, number]>;
  readonly #backlog: Database.Statement<[number, number]>;
  readonly #lease: Database.Statement<[number, string]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #release: Database.Statement<[string]>;
  readonly #oldestReceived: Database.Statement<[number]>;
  #nextLease = 1;

  constructor(db: Database.Database, counters: BacklogCounters) {
    this.#counters = counters;
    db.prepare('UPDATE records SET lease = NULL WHERE lease IS NOT NULL').run();
    this.#oldest = db.prepare(`SELECT ${COLUMNS} FROM records WHERE priority = ? AND lease IS NULL ORDER BY seq LIMIT ?`);
    this.#live = db.prepare(
      `SELECT ${COLUMNS} FROM records WHERE priority = 2 AND seq >= ? AND lease IS NULL ORDER BY seq DESC LIMIT ?`,
    );
    this.#backlog = db.prepare(
      `SELECT ${COLUMNS} FROM records WHERE priority = 2 AND seq < ? AND lease IS NULL ORDER BY seq LIMIT ?`,
    );
    // One statement per batch, the keys passed as a JSON array.
    this.#lease = db.prepare('UPDATE records SET lease = ? WHERE seq IN (SELECT value FROM json_each(?))');
    this.#delete = db.prepare('DELETE FROM records WHERE id IN (SELECT value FROM json_each(?)) RETURNING priority, bytes, level');
    this.#release = db.prepare('UPDATE records SET lease = NULL WHERE id IN (SELECT value FROM json_each(?))');
    this.#oldestReceived = db.prepare('SELECT received_at AS at FROM records WHERE priority = ? ORDER BY seq LIMIT 1');
  }

  take(room: BatchRoom, liveStartSeq: number, liveShare: number): OutgoingBatch | undefined {
    const critical = this.#oldest.all(0, room.maxRecords) as QueuedRow[];
    const alert = critical.length < room.maxRecords ? (this.#oldest.all(1, room.maxRecords) as QueuedRow[]) : [];
    const telemetryRoom = room.maxRecords - critical.length - alert.length;
    const live = telemetryRoom > 0 ? (this.#live.all(liveStartSeq, telemetryRoom) as QueuedRow[]) : [];
    const backlog = telemetryRoom > 0 ? (this.#backlog.all(liveStartSeq, telemetryRoom) as QueuedRow[]) : [];
    // Within the batch: class order, then insertion order (live rows were picked newest first).
    const chosen = composeBatch({ critical, alert, live, backlog }, room, liveShare).sort(
      (a, b) => a.priority - b.priority || a.seq - b.seq,
    );
    if (chosen.length === 0) return undefined;
    const lease = this.#nextLease++;
    this.#lease.run(lease, JSON.stringify(chosen.map((row) => row.seq)));
    return serializedBatch(
      `lease-${lease}`,
      chosen.map((row) => ({ id: row.id, json: row.payload })),
    );
  }

  /** Deletes the records (by id: a split half of a batch is acknowledged the same way). */
  acknowledge(ids: readonly string[]): void {
    const removed = this.#delete.all(JSON.stringify(ids)) as RemovedRow[];
    this.#counters.removed(removed);
  }

  release(ids: readonly string[]): void {
    this.#release.run(JSON.stringify(ids));
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
}
