/**
 * The quarantine table: original bytes of refused input, kept within two bounds. The count
 * bound (`maxQuarantineRecords`) alone let 10,000 photos of up to 1 MiB take gigabytes outside
 * the record quota, hence the byte bound (`maxQuarantineBytes`, on the stored BLOB lengths).
 * The oldest entries leave first, counted in the ledger (`quarantine_trimmed`) in the
 * transaction that inserted the entry pushing the table over a bound.
 */
import type Database from 'better-sqlite3';
import type { QuarantineEntry } from '../buffer.js';
import type { BacklogCounters } from './counters.js';
import type { Ledger } from './ledger.js';

export interface QuarantineLimits {
  maxRecords: number;
  maxBytes: number;
}

export class QuarantineTable {
  readonly #counters: BacklogCounters;
  readonly #ledger: Ledger;
  readonly #limits: QuarantineLimits;
  readonly #insert: Database.Statement<[number, string, string, string | null, string | null, string | null, Buffer]>;
  /** length() of a BLOB is read from the row header: no overflow page of a large entry is loaded. */
  readonly #oldest: Database.Statement<[], { qid: number; size: number }>;
  readonly #drop: Database.Statement<[number]>;

  constructor(db: Database.Database, counters: BacklogCounters, ledger: Ledger, limits: QuarantineLimits) {
    this.#counters = counters;
    this.#ledger = ledger;
    this.#limits = limits;
    this.#insert = db.prepare(
      `INSERT INTO quarantine (received_at, reason, detail, topic, source_kind, source_id, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#oldest = db.prepare('SELECT qid, length(bytes) AS size FROM quarantine ORDER BY qid');
    this.#drop = db.prepare('DELETE FROM quarantine WHERE qid <= ?');
  }

  /**
   * Call inside the write transaction. An entry larger than the byte bound on its own is not
   * stored (counted `quarantine_trimmed` at once): keeping it would break the bound, and
   * dropping every older entry for it would still not make it fit.
   */
  insert({ receivedAt, reason, detail, topic, source, bytes }: QuarantineEntry): void {
    if (bytes.byteLength > this.#limits.maxBytes) {
      this.#ledger.add('quarantine_trimmed', 1);
      return;
    }
    this.#insert.run(receivedAt, reason, detail, topic ?? null, source?.kind ?? null, source?.id ?? null, bytes);
    this.#counters.quarantined += 1;
    this.#counters.quarantinedBytes += bytes.byteLength;
    this.#trim();
  }

  /**
   * Drops the oldest entries until both bounds hold. Never reaches the entry just inserted: it
   * fits the byte bound alone and `maxRecords` is at least 1. A bound lowered between runs
   * takes effect here, at the next stored entry.
   */
  #trim(): void {
    const excessRecords = this.#counters.quarantined - this.#limits.maxRecords;
    const excessBytes = this.#counters.quarantinedBytes - this.#limits.maxBytes;
    if (excessRecords <= 0 && excessBytes <= 0) return;
    let lastQid = 0;
    let dropped = 0;
    let freed = 0;
    for (const { qid, size } of this.#oldest.iterate()) {
      if (dropped >= excessRecords && freed >= excessBytes) break;
      lastQid = qid;
      dropped += 1;
      freed += size;
    }
    this.#drop.run(lastQid);
    this.#counters.quarantined -= dropped;
    this.#counters.quarantinedBytes -= freed;
    this.#ledger.add('quarantine_trimmed', dropped);
  }
}
