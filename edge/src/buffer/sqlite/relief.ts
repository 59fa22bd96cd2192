/**
 * Applies the relief policy (relief-policy.ts) and telemetry expiry to the records table. Each
 * step is one transaction that deletes rows and counts them in the ledger together, and looks
 * at no more than `stepRecords` rows, so memory stays flat however large the backlog is.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { BacklogCounters, RemovedRow } from './counters.js';
import type { Ledger } from './ledger.js';
import type { DedupeIndex } from './dedupe-index.js';
import { planRelief, mustRefuseAppends, type PressureInput, type ReliefAction, type ReliefLimits } from './relief-policy.js';

type CompactAction = Extract<ReliefAction, { type: 'compact' }>;
type EvictAction = Extract<ReliefAction, { type: 'evict' }>;

const PRIORITY_OF = { alert: 1, telemetry: 2 } as const;

export interface ReliefOutcome {
  /** Disk floor reached with nothing left to remove: appends must be refused. */
  refuse: boolean;
}

export interface ReliefStores {
  counters: BacklogCounters;
  ledger: Ledger;
  ids: DedupeIndex;
}

/**
 * SQL condition "not in flight": `fw_leased(priority, seq)` is a function the buffer registers
 * on its connection, answered from the in-memory lease book. Relief never deletes a record in
 * flight, so a record is either delivered or counted in the ledger, never both.
 */
const FREE = (priority: string) => `fw_leased(${priority}, seq) = 0`;

export class Relief {
  readonly #db: Database.Database;
  readonly #counters: BacklogCounters;
  readonly #ledger: Ledger;
  readonly #ids: DedupeIndex;
  readonly #limits: ReliefLimits;
  readonly #logger: Logger | undefined;
  readonly #statements;

  constructor(db: Database.Database, { counters, ledger, ids }: ReliefStores, limits: ReliefLimits, logger?: Logger) {
    this.#db = db;
    this.#counters = counters;
    this.#ledger = ledger;
    this.#ids = ids;
    this.#limits = limits;
    this.#logger = logger;
    const compactable = `priority = 2 AND level = 0 AND ${FREE('2')}`;
    // Pinned to the partial index: without it the planner walks (priority, seq) and steps over
    // every already-compacted row at the head of the backlog on each pass.
    const fromCompactable = 'FROM records INDEXED BY records_compactable';
    this.#statements = {
      compactChunk: db.prepare<[number, number]>(
        `SELECT max(seq) AS last FROM (SELECT seq ${fromCompactable} WHERE ${compactable} AND seq < ? ORDER BY seq LIMIT ?)`,
      ),
      compactDelete: db.prepare<[number, number]>(
        `WITH ranked AS (SELECT seq, row_number() OVER (PARTITION BY source_id ORDER BY seq) AS rn
           ${fromCompactable} WHERE ${compactable} AND seq <= ?)
         DELETE FROM records WHERE seq IN (SELECT seq FROM ranked WHERE (rn - 1) % ? <> 0)
         RETURNING priority, bytes, level`,
      ),
      compactMark: db.prepare<[number]>(`UPDATE records INDEXED BY records_compactable SET level = 1 WHERE ${compactable} AND seq <= ?`),
      oldest: db.prepare<[number, number]>(
        `SELECT seq, bytes, received_at AS receivedAt FROM records WHERE priority = ? AND ${FREE('priority')} ORDER BY seq LIMIT ?`,
      ),
      deleteUpTo: db.prepare<[number, number]>(
        `DELETE FROM records WHERE priority = ? AND ${FREE('priority')} AND seq <= ? RETURNING priority, bytes, level`,
      ),
    };
  }

  /** Runs relief steps until the pressure is gone or nothing more may be removed. */
  relieve(measure: () => PressureInput, liveStartSeq: number): ReliefOutcome {
    const exhausted = { compact: false, telemetry: false, alert: false };
    const current = (): PressureInput => {
      const input = measure();
      return {
        ...input,
        compactableRecords: exhausted.compact ? 0 : input.compactableRecords,
        telemetryRecords: exhausted.telemetry ? 0 : input.telemetryRecords,
        alertRecords: exhausted.alert ? 0 : input.alertRecords,
      };
    };
    for (let action = planRelief(current(), this.#limits); action; action = planRelief(current(), this.#limits)) {
      if (action.type === 'compact') {
        if (!this.#compact(action, liveStartSeq)) exhausted.compact = true;
      } else if (this.#evict(action) === 0) {
        exhausted[action.priority] = true;
      }
    }
    return { refuse: mustRefuseAppends(current(), this.#limits) };
  }

  /** Deletes telemetry received before `cutoff`, oldest first; returns how many expired. */
  expire(cutoff: number): number {
    let expired = 0;
    // Most ticks find nothing expired: look at the single oldest row before reading a step.
    const [oldest] = this.#statements.oldest.all(2, 1) as { receivedAt: number }[];
    if (oldest === undefined || oldest.receivedAt >= cutoff) return 0;
    for (;;) {
      const rows = this.#statements.oldest.all(2, this.#limits.stepRecords) as { seq: number; receivedAt: number }[];
      let last = -1;
      for (const row of rows) {
        if (row.receivedAt >= cutoff) break;
        last = row.seq;
      }
      if (last < 0) break;
      const removed = this.#removeUpTo(2, last, 'expired');
      expired += removed.length;
      if (last !== rows.at(-1)?.seq) break;
    }
    if (expired > 0) this.#logger?.warn({ event: 'buffer_telemetry_expired', records: expired, cutoff }, 'buffer_telemetry_expired');
    return expired;
  }

  /** Returns false when there was nothing eligible to compact. */
  #compact(action: CompactAction, liveStartSeq: number): boolean {
    const { last } = this.#statements.compactChunk.get(liveStartSeq, action.maxRecords) as { last: number | null };
    if (last === null) return false;
    const removed = this.#db.transaction(() => {
      const rows = this.#statements.compactDelete.all(last, action.keepEvery) as RemovedRow[];
      this.#ledger.add('compacted', rows.length);
      const kept = this.#statements.compactMark.run(last).changes;
      this.#counters.compactable -= kept;
      return rows;
    })();
    const freed = this.#counters.removed(removed);
    this.#ids.deleted(removed.length);
    this.#logger?.warn({ event: 'buffer_telemetry_compacted', cause: action.cause, records: removed.length, bytes: freed }, 'buffer_telemetry_compacted');
    return true;
  }

  /** Returns the number of bytes freed. */
  #evict(action: EvictAction): number {
    const priority = PRIORITY_OF[action.priority];
    const rows = this.#statements.oldest.all(priority, action.maxRecords) as { seq: number; bytes: number }[];
    let sum = 0;
    let last = -1;
    for (const row of rows) {
      sum += row.bytes;
      last = row.seq;
      if (sum >= action.bytes) break;
    }
    if (last < 0) return 0;
    const removed = this.#removeUpTo(priority, last, action.reason);
    const freed = removed.reduce((total, row) => total + row.bytes, 0);
    this.#logger?.warn(
      { event: 'buffer_records_evicted', cause: action.cause, priority: action.priority, records: removed.length, bytes: freed },
      'buffer_records_evicted',
    );
    return freed;
  }

  #removeUpTo(priority: number, lastSeq: number, reason: string): RemovedRow[] {
    const removed = this.#db.transaction(() => {
      const rows = this.#statements.deleteUpTo.all(priority, lastSeq) as RemovedRow[];
      this.#ledger.add(reason, rows.length);
      return rows;
    })();
    this.#counters.removed(removed);
    this.#ids.deleted(removed.length);
    return removed;
  }
}
