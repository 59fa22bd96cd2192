/**
 * Duplicate detection. The `ids` table maps every stored record's MessageId to its seq; an id
 * is a duplicate while the record it names is still stored. Seqs are never reused, so an entry
 * whose record is gone is merely *stale*: the next record with that id takes it over, and
 * nothing is refused because of it. Removing stale entries can therefore wait — and that is the
 * point. Ids sort by device while records arrive interleaved across devices, so this is the one
 * B-tree whose pages are scattered: deleting its entries batch by batch rewrote about one page
 * per record, most of the drain's cost. Instead, a trigger queues every deleted record's entry in
 * `stale` (same transaction, a cheap append in seq order), and `prune` removes them from `ids`
 * together, in id order, once `pruneRecords` are queued: each page is touched once for many.
 * `stale` is a table, not memory, so a crash forgets nothing and memory does not grow.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

export class DedupeIndex {
  readonly #db: Database.Database;
  readonly #pruneRecords: number;
  readonly #logger: Logger | undefined;
  readonly #claim: Database.Statement<[string, number]>;
  readonly #prune: Database.Statement<[]>;
  readonly #clearStale: Database.Statement<[]>;
  #stale: number;

  constructor(db: Database.Database, pruneRecords: number, logger?: Logger) {
    this.#db = db;
    this.#pruneRecords = pruneRecords;
    this.#logger = logger;
    // A conflict on `id` is a duplicate only while the record it names is stored; otherwise the
    // stale entry is taken over. No row changed = duplicate.
    this.#claim = db.prepare(
      `INSERT INTO ids (id, seq) VALUES (?, ?)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq
       WHERE NOT EXISTS (SELECT 1 FROM records WHERE records.seq = ids.seq)`,
    );
    // An entry taken over since is not stale any more: its seq is not in `stale`.
    this.#prune = db.prepare('DELETE FROM ids WHERE id IN (SELECT id FROM stale) AND seq IN (SELECT seq FROM stale)');
    this.#clearStale = db.prepare('DELETE FROM stale');
    this.#stale = (db.prepare('SELECT count(*) AS n FROM stale').get() as { n: number }).n;
  }

  /** Call inside the transaction that inserts the record with `seq`; false = duplicate, do not insert. */
  claim(id: string, seq: number): boolean {
    return this.#claim.run(id, seq).changes > 0;
  }

  /** Call after a transaction that deleted `count` records committed (the trigger queued their entries). */
  deleted(count: number): void {
    this.#stale += count;
    if (this.#stale >= this.#pruneRecords) this.prune();
  }

  /** Entries queued for the next prune. */
  get stale(): number {
    return this.#stale;
  }

  /** Removes every queued stale entry in one transaction. A failure only postpones it. */
  prune(): void {
    if (this.#stale === 0) return;
    try {
      this.#db.transaction(() => {
        this.#prune.run();
        this.#clearStale.run();
      })();
      this.#stale = 0;
    } catch (error) {
      this.#logger?.error({ event: 'buffer_ids_prune_failed', err: error, entries: this.#stale }, 'buffer_ids_prune_failed');
    }
  }
}
