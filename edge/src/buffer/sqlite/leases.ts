/**
 * Which stored records are in flight (taken by `takeBatch`, not yet acknowledged or released),
 * kept in memory only: nothing of it is written to the database, and after a restart nothing is
 * in flight, so a batch that was out when the process died is simply sent again.
 *
 * A batch holds one *run* per stretch of a queue it took: the records of one priority that one
 * index range scan returned between two other runs. So every stored record of that priority
 * whose seq lies in a run's span [lo, hi] belongs to that run (or is gone already), runs never
 * overlap, and the queue skips in-flight records by range — `gaps()` yields the free seq ranges
 * to scan — instead of reading and discarding them. Releasing part of a run splits it around the
 * released records; a run disappears once none of its records is still in flight.
 */

/** A record handed out in a batch. */
export interface TakenRecord {
  id: string;
  seq: number;
  priority: number;
}

interface Run {
  priority: number;
  /** The run's records in seq order; `acked[i]` once record i was acknowledged (deleted). */
  seqs: number[];
  ids: string[];
  acked: boolean[];
  /** Records neither acknowledged nor released. */
  held: number;
}

/** Where an in-flight id sits. */
interface Slot {
  run: Run;
  index: number;
}

export interface LeaseLookup {
  /** Seqs of the ids that are in flight. */
  seqs: number[];
  /** Ids that are not in flight (never taken, already settled, or taken before a restart). */
  unknown: string[];
}

/** Upper bound for open seq ranges. */
export const SEQ_END = Number.MAX_SAFE_INTEGER;

export class LeaseBook {
  /** Per priority: runs sorted by span, disjoint. */
  readonly #runs: Run[][] = [[], [], []];
  readonly #slots = new Map<string, Slot>();

  /** Number of records in flight. */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * Marks a batch's records in flight. Each group is the part of the batch that one scan of one
   * free range returned (same priority, consecutive in that range): it becomes one run.
   */
  lease(groups: Iterable<readonly TakenRecord[]>): void {
    for (const group of groups) {
      if (group.length === 0) continue;
      const sorted = [...group].sort((a, b) => a.seq - b.seq);
      const run: Run = {
        priority: sorted[0]!.priority,
        seqs: sorted.map((r) => r.seq),
        ids: sorted.map((r) => r.id),
        acked: sorted.map(() => false),
        held: sorted.length,
      };
      this.#insertRun(run);
      sorted.forEach((r, index) => this.#slots.set(r.id, { run, index }));
    }
  }

  /** Seqs of the in-flight ids among `ids`; nothing changes. */
  lookup(ids: readonly string[]): LeaseLookup {
    const seqs: number[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      const slot = this.#slots.get(id);
      if (slot === undefined) unknown.push(id);
      else seqs.push(slot.run.seqs[slot.index]!);
    }
    return { seqs, unknown };
  }

  /** The records were deleted: they stop being in flight. Unknown ids are ignored. */
  acknowledged(ids: readonly string[]): void {
    for (const id of ids) {
      const slot = this.#slots.get(id);
      if (slot === undefined) continue;
      this.#slots.delete(id);
      slot.run.acked[slot.index] = true;
      slot.run.held -= 1;
      if (slot.run.held === 0) this.#removeRun(slot.run, []);
    }
  }

  /** The records go back to the queue: their runs are split around them. Unknown ids are ignored. */
  released(ids: readonly string[]): void {
    const byRun = new Map<Run, Set<number>>();
    for (const id of ids) {
      const slot = this.#slots.get(id);
      if (slot === undefined) continue;
      this.#slots.delete(id);
      const indexes = byRun.get(slot.run) ?? new Set<number>();
      indexes.add(slot.index);
      byRun.set(slot.run, indexes);
    }
    for (const [run, indexes] of byRun) this.#removeRun(run, splitRun(run, indexes));
  }

  /** Whether a stored record with this priority and seq is in flight. */
  covers(priority: number, seq: number): boolean {
    const runs = this.#runs[priority] ?? [];
    const at = lastStartingAtOrBefore(runs, seq);
    return at >= 0 && seq <= runs[at]!.seqs.at(-1)!;
  }

  /**
   * The seq ranges [from, to) of `priority` not covered by a run, as half-open [lo, hi) pairs:
   * ascending, or descending when `descending` (for the newest-first live queue).
   */
  *gaps(priority: number, from: number, to: number, descending = false): Generator<[number, number]> {
    const runs = this.#runs[priority] ?? [];
    if (!descending) {
      let cursor = from;
      for (let i = Math.max(0, lastStartingAtOrBefore(runs, from)); i < runs.length && cursor < to; i += 1) {
        const lo = runs[i]!.seqs[0]!;
        const hi = runs[i]!.seqs.at(-1)!;
        if (hi < cursor) continue;
        if (lo > cursor) yield [cursor, Math.min(lo, to)];
        cursor = Math.max(cursor, hi + 1);
      }
      if (cursor < to) yield [cursor, to];
      return;
    }
    let cursor = to;
    for (let i = lastStartingAtOrBefore(runs, to - 1); i >= 0 && cursor > from; i -= 1) {
      const lo = runs[i]!.seqs[0]!;
      const hi = runs[i]!.seqs.at(-1)!;
      if (hi + 1 < cursor) yield [Math.max(hi + 1, from), cursor];
      cursor = Math.min(cursor, lo);
    }
    if (cursor > from) yield [from, cursor];
  }

  #insertRun(run: Run): void {
    const runs = this.#runs[run.priority]!;
    runs.splice(lastStartingAtOrBefore(runs, run.seqs[0]!) + 1, 0, run);
  }

  /** Replaces `run` by `pieces` (its own records, in order) and re-points their slots. */
  #removeRun(run: Run, pieces: readonly Run[]): void {
    const runs = this.#runs[run.priority]!;
    const at = runs.indexOf(run);
    if (at >= 0) runs.splice(at, 1, ...pieces);
    for (const piece of pieces) {
      piece.ids.forEach((id, index) => {
        if (!piece.acked[index]) this.#slots.set(id, { run: piece, index });
      });
    }
  }
}

/**
 * The parts of `run` between the records at `released` indexes. Acknowledged records stay
 * inside a part (they are deleted, so covering their seqs is harmless and keeps runs whole);
 * a part with nothing left in flight is dropped.
 */
function splitRun(run: Run, released: ReadonlySet<number>): Run[] {
  const pieces: Run[] = [];
  let current: Run | undefined;
  run.seqs.forEach((seq, index) => {
    if (released.has(index)) {
      current = undefined;
      return;
    }
    if (current === undefined) {
      current = { priority: run.priority, seqs: [], ids: [], acked: [], held: 0 };
      pieces.push(current);
    }
    current.seqs.push(seq);
    current.ids.push(run.ids[index]!);
    current.acked.push(run.acked[index]!);
    if (!run.acked[index]) current.held += 1;
  });
  return pieces.filter((piece) => piece.held > 0);
}

/** Index of the last run whose span starts at or before `seq`; -1 if none. */
function lastStartingAtOrBefore(runs: readonly Run[], seq: number): number {
  let low = 0;
  let high = runs.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (runs[middle]!.seqs[0]! <= seq) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
