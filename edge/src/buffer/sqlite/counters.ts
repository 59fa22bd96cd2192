/**
 * In-memory mirror of what the tables hold, so `stats()` and the relief planner never scan.
 * Built by one scan at open; updated inside each transaction; rebuilt from the tables if a
 * transaction rolls back (rare: disk full, I/O error), so it never drifts from the data.
 */
import type Database from 'better-sqlite3';
import { PRIORITIES, type Priority } from '../buffer.js';

export interface RemovedRow {
  priority: number;
  bytes: number;
  level: number;
}

export class BacklogCounters {
  readonly records = [0, 0, 0];
  readonly bytes = [0, 0, 0];
  /** Telemetry not yet thinned by a compaction. */
  compactable = 0;
  quarantined = 0;
  /** Sum of the quarantine's BLOB lengths: what `maxQuarantineBytes` bounds. */
  quarantinedBytes = 0;
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    this.reload();
  }

  reload(): void {
    this.records.fill(0);
    this.bytes.fill(0);
    this.compactable = 0;
    const rows = this.#db
      .prepare('SELECT priority, level, count(*) AS n, total(bytes) AS b FROM records GROUP BY priority, level')
      .all() as { priority: number; level: number; n: number; b: number }[];
    for (const r of rows) {
      this.records[r.priority] = (this.records[r.priority] ?? 0) + r.n;
      this.bytes[r.priority] = (this.bytes[r.priority] ?? 0) + r.b;
      if (r.priority === 2 && r.level === 0) this.compactable += r.n;
    }
    // length() reads a BLOB's size from its row header, so this stays cheap with large entries.
    const quarantine = this.#db.prepare('SELECT count(*) AS n, total(length(bytes)) AS b FROM quarantine').get() as { n: number; b: number };
    this.quarantined = quarantine.n;
    this.quarantinedBytes = quarantine.b;
  }

  added(priority: number, bytes: number): void {
    this.records[priority] = (this.records[priority] ?? 0) + 1;
    this.bytes[priority] = (this.bytes[priority] ?? 0) + bytes;
    if (priority === 2) this.compactable += 1;
  }

  removed(rows: readonly RemovedRow[]): number {
    let freed = 0;
    for (const r of rows) {
      this.records[r.priority] = (this.records[r.priority] ?? 0) - 1;
      this.bytes[r.priority] = (this.bytes[r.priority] ?? 0) - r.bytes;
      if (r.priority === 2 && r.level === 0) this.compactable -= 1;
      freed += r.bytes;
    }
    return freed;
  }

  get totalRecords(): number {
    return this.records[0]! + this.records[1]! + this.records[2]!;
  }

  get totalBytes(): number {
    return this.bytes[0]! + this.bytes[1]! + this.bytes[2]!;
  }

  byPriority(): Record<Priority, number> {
    return Object.fromEntries(PRIORITIES.map((p, i) => [p, this.records[i]!])) as Record<Priority, number>;
  }
}
