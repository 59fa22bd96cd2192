/**
 * Duplicate detection. The `ids` table maps every stored record's MessageId to its seq; an id
 * is a duplicate while the record it names is still stored. Seqs are never reused, so an entry
 * whose record is gone is merely *stale*: the next record with that id takes it over, and
 * nothing is refused because of it. Removing stale entries can therefore wait — and that is the
 * point. Ids sort by device while records arrive interleaved across devices, so this is the one
 * B-tree whose pages are scattered: deleting its entries batch by batch rewrote about one page
 * per record, most of the drain's cost. Instead, a trigger queues every deleted record's entry in
 * `stale` (same transaction, a cheap append in seq order), and a prune removes them from `ids`
 * together, in id order, once `pruneRecords` are queued: each page is touched once for many.
 * `stale` is a table, not memory, so a crash forgets nothing and memory does not grow.
 *
 * A prune never holds the event loop for long: at 10,000 records a second one transaction over
 * 20,000 entries took 18–19 ms of CPU and 30–300 ms on a busy machine (docs/buffer.md). It runs
 * as steps of at most `stepRecords` rows, one transaction per event-loop turn: it reads the
 * queued entries in seq order, then deletes their `ids` entries in id order (so each step
 * touches a contiguous stretch of that B-tree, and the prune as a whole still each page once),
 * then their `stale` rows in seq order. A crash between steps leaves `stale` rows whose entries
 * are gone already; the next prune deletes nothing for them and clears them.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

interface StaleEntry {
  seq: number;
  id: string;
}

/** Runs a prune step on a later event-loop turn; returns how to cancel it. */
export type StepScheduler = (step: () => void) => () => void;

export const nextTurn: StepScheduler = (step) => {
  const handle = setImmediate(step);
  return () => clearImmediate(handle);
};

export interface DedupeIndexOptions {
  /** A prune starts once this many stale entries are queued. */
  pruneRecords: number;
  /** Rows read or deleted per step (one transaction). */
  stepRecords: number;
  logger?: Logger | undefined;
  /** Default: the next turn (setImmediate). */
  schedule?: StepScheduler;
}

/**
 * A prune's state between steps: the queued entries read so far (their seqs in seq order, and
 * the same entries as runs sorted by id, one per read step, merged as the ids are deleted).
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

export class DedupeIndex {
  readonly #db: Database.Database;
  readonly #options: Required<Omit<DedupeIndexOptions, 'logger'>> & { logger?: Logger | undefined };
  readonly #claim: Database.Statement<[string, number]>;
  readonly #readStale: Database.Statement<[number, number]>;
  readonly #deleteEntry: Database.Statement<[string, number]>;
  readonly #deleteStale: Database.Statement<[number]>;
  #stale: number;
  #prune: Prune | undefined;
  #cancel: (() => void) | undefined;
  #stopped = false;

  constructor(db: Database.Database, options: DedupeIndexOptions) {
    this.#db = db;
    this.#options = { schedule: nextTurn, ...options };
    // A conflict on `id` is a duplicate only while the record it names is stored; otherwise the
    // stale entry is taken over. No row changed = duplicate.
    this.#claim = db.prepare(
      `INSERT INTO ids (id, seq) VALUES (?, ?)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq
       WHERE NOT EXISTS (SELECT 1 FROM records WHERE records.seq = ids.seq)`,
    );
    this.#readStale = db.prepare('SELECT seq, id FROM stale WHERE seq > ? ORDER BY seq LIMIT ?');
    // An entry taken over since is not stale any more: its seq is not the queued one.
    this.#deleteEntry = db.prepare('DELETE FROM ids WHERE id = ? AND seq = ?');
    this.#deleteStale = db.prepare('DELETE FROM stale WHERE seq = ?');
    this.#stale = (db.prepare('SELECT count(*) AS n FROM stale').get() as { n: number }).n;
  }

  /** Call inside the transaction that inserts the record with `seq`; false = duplicate, do not insert. */
  claim(id: string, seq: number): boolean {
    return this.#claim.run(id, seq).changes > 0;
  }

  /** Call after a transaction that deleted `count` records committed (the trigger queued their entries). */
  deleted(count: number): void {
    this.#stale += count;
    if (this.#stale >= this.#options.pruneRecords) this.#start();
  }

  /** Entries queued and not yet pruned. */
  get stale(): number {
    return this.#stale;
  }

  /** Whether a prune is under way. */
  get pruning(): boolean {
    return this.#prune !== undefined;
  }

  /** No further steps (at close; the queue stays in `stale` for the next open). */
  stop(): void {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#prune = undefined;
  }

  #start(): void {
    if (this.#prune !== undefined || this.#stopped) return;
    // The entries queued now; those queued meanwhile wait for the next prune.
    this.#prune = { phase: 'read', wanted: this.#stale, seqs: [], runs: [], heads: [], done: 0 };
    this.#next();
  }

  #next(): void {
    this.#cancel = this.#options.schedule(() => {
      this.#cancel = undefined;
      this.#step();
    });
  }

  /** One bounded step of the prune under way. A failure ends the prune; the next `deleted` starts over. */
  #step(): void {
    const prune = this.#prune;
    if (prune === undefined || this.#stopped) return;
    const limit = this.#options.stepRecords;
    try {
      if (prune.phase === 'read') {
        const after = prune.seqs.at(-1) ?? 0;
        const rows = this.#readStale.all(after, Math.min(limit, prune.wanted - prune.seqs.length)) as StaleEntry[];
        for (const row of rows) prune.seqs.push(row.seq);
        prune.runs.push(rows.sort(byId));
        prune.heads.push(0);
        if (rows.length === 0 || prune.seqs.length >= prune.wanted) prune.phase = 'ids';
      } else if (prune.phase === 'ids') {
        const chunk = takeInIdOrder(prune.runs, prune.heads, limit);
        this.#db.transaction(() => {
          for (const entry of chunk) this.#deleteEntry.run(entry.id, entry.seq);
        })();
        if (chunk.length < limit) prune.phase = 'stale';
      } else {
        const chunk = prune.seqs.slice(prune.done, prune.done + limit);
        this.#db.transaction(() => {
          for (const seq of chunk) this.#deleteStale.run(seq);
        })();
        prune.done += chunk.length;
        this.#stale = Math.max(0, this.#stale - chunk.length);
        if (prune.done >= prune.seqs.length) this.#prune = undefined;
      }
    } catch (error) {
      this.#options.logger?.error({ event: 'buffer_ids_prune_failed', err: error, entries: this.#stale }, 'buffer_ids_prune_failed');
      this.#prune = undefined;
      return;
    }
    if (this.#prune !== undefined) this.#next();
    else if (this.#stale >= this.#options.pruneRecords) this.#start();
  }
}
