/**
 * Removing the `ids` entries of deleted records. A trigger queues every deleted record's entry in
 * `stale` (same transaction, a cheap append in seq order); once `bulkRecords` are queued a prune
 * removes them from `ids` together, in id order, so each page is touched once for many (ids sort
 * by device while records arrive interleaved, so deleting entries batch by batch rewrote about
 * one page per record, most of the drain's cost). `stale` is a table, not memory, so a crash
 * forgets nothing and memory does not grow.
 *
 * A prune never holds the event loop for long. At 10,000 records a second one transaction over
 * 20,000 entries took 16–19 ms of CPU every 2 s, in one turn (docs/buffer.md). So a prune is
 * paid for by the deletes that queue the next entries: each `deleted(n)` call does up to
 * max(3n, stepRecords) rows of its work, in steps of at most `stepRecords` rows, each step one
 * transaction. Three rows per deleted record keep pace with the queue (every entry is read,
 * deleted from `ids`, deleted from `stale`), and the work runs where the deletes run, with no
 * timer or later turn to wait for (a flooded event loop runs those late: docs/edge.md). The
 * phases: read the queued entries in seq order (each read a run sorted by id), delete them from
 * `ids` in id order by merging the runs (so the prune as a whole still touches each page about
 * once), then delete their `stale` rows in seq order. A crash mid-prune leaves `stale` rows whose
 * entries are gone already: the next prune deletes nothing for them and clears them. An entry
 * taken over meanwhile (its id merged again with a newer seq) is kept: only the queued seq goes.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

interface StaleEntry {
  seq: number;
  id: string;
}

export interface IdsPruneOptions {
  /** A prune starts once this many stale entries are queued. */
  bulkRecords: number;
  /** Rows read or deleted per step (one transaction). */
  stepRecords: number;
  logger?: Logger | undefined;
}

/**
 * A prune under way: the queued entries read so far (their seqs in seq order, and the same
 * entries as runs sorted by id, one per read step, merged as they are deleted from `ids`).
 */
interface Prune {
  phase: 'read' | 'ids' | 'stale';
  wanted: number;
  seqs: number[];
  runs: StaleEntry[][];
  /** Per run, how many of its entries were deleted from `ids`. */
  heads: number[];
  /** How many of `seqs` were deleted from `stale`. */
  done: number;
}

const byId = (a: StaleEntry, b: StaleEntry): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The next `count` entries of sorted runs, in id order (a k-way merge; there are few runs). */
export function takeInIdOrder(runs: readonly StaleEntry[][], heads: number[], count: number): StaleEntry[] {
  const taken: StaleEntry[] = [];
  while (taken.length < count) {
    let best = -1;
    for (let r = 0; r < runs.length; r += 1) {
      const candidate = runs[r]![heads[r]!];
      if (candidate !== undefined && (best < 0 || byId(candidate, runs[best]![heads[best]!]!) < 0)) best = r;
    }
    if (best < 0) break;
    taken.push(runs[best]![heads[best]!]!);
    heads[best]! += 1;
  }
  return taken;
}

/** Rows of prune work a `deleted(count)` call does at most (plus the rest of its last step). */
export function pruneBudget(count: number, stepRecords: number): number {
  return Math.max(3 * count, stepRecords);
}

export class IdsPrune {
  readonly #db: Database.Database;
  readonly #options: IdsPruneOptions;
  readonly #readStale: Database.Statement<[number, number]>;
  readonly #deleteEntry: Database.Statement<[string, number]>;
  readonly #deleteStale: Database.Statement<[number]>;
  #stale: number;
  #prune: Prune | undefined;

  constructor(db: Database.Database, options: IdsPruneOptions) {
    this.#db = db;
    this.#options = options;
    this.#readStale = db.prepare('SELECT seq, id FROM stale WHERE seq > ? ORDER BY seq LIMIT ?');
    // An entry taken over since is not stale any more: its seq is not the queued one.
    this.#deleteEntry = db.prepare('DELETE FROM ids WHERE id = ? AND seq = ?');
    this.#deleteStale = db.prepare('DELETE FROM stale WHERE seq = ?');
    this.#stale = (db.prepare('SELECT count(*) AS n FROM stale').get() as { n: number }).n;
  }

  /**
   * Call after a transaction that deleted `count` records committed (the trigger queued their
   * entries): starts a prune once `bulkRecords` are queued, and does a bounded part of it.
   */
  deleted(count: number): void {
    this.#stale += count;
    if (this.#prune === undefined && this.#stale >= this.#options.bulkRecords) {
      // The entries queued now; those queued meanwhile wait for the next prune.
      this.#prune = { phase: 'read', wanted: this.#stale, seqs: [], runs: [], heads: [], done: 0 };
    }
    let budget = pruneBudget(count, this.#options.stepRecords);
    while (this.#prune !== undefined && budget > 0) budget -= this.#step(this.#prune);
  }

  /** Entries queued and not yet pruned. */
  get stale(): number {
    return this.#stale;
  }

  /** Whether a prune is under way. */
  get pruning(): boolean {
    return this.#prune !== undefined;
  }

  /** One step of at most `stepRecords` rows; returns the rows it did. A failure ends the prune: the next one starts over. */
  #step(prune: Prune): number {
    const limit = this.#options.stepRecords;
    try {
      if (prune.phase === 'read') {
        const rows = this.#readStale.all(prune.seqs.at(-1) ?? 0, Math.min(limit, prune.wanted - prune.seqs.length)) as StaleEntry[];
        for (const row of rows) prune.seqs.push(row.seq);
        prune.runs.push(rows.sort(byId));
        prune.heads.push(0);
        if (rows.length === 0 || prune.seqs.length >= prune.wanted) prune.phase = 'ids';
        return Math.max(1, rows.length);
      }
      if (prune.phase === 'ids') {
        const chunk = takeInIdOrder(prune.runs, prune.heads, limit);
        this.#db.transaction(() => {
          for (const entry of chunk) this.#deleteEntry.run(entry.id, entry.seq);
        })();
        if (chunk.length < limit) prune.phase = 'stale';
        return Math.max(1, chunk.length);
      }
      const chunk = prune.seqs.slice(prune.done, prune.done + limit);
      this.#db.transaction(() => {
        for (const seq of chunk) this.#deleteStale.run(seq);
      })();
      prune.done += chunk.length;
      this.#stale = Math.max(0, this.#stale - chunk.length);
      if (prune.done >= prune.seqs.length) this.#prune = undefined;
      return Math.max(1, chunk.length);
    } catch (error) {
      this.#options.logger?.error({ event: 'buffer_ids_prune_failed', err: error, entries: this.#stale }, 'buffer_ids_prune_failed');
      this.#prune = undefined;
      return 0;
    }
  }
}
