/**
 * The loss ledger: how many records left the buffer without reaching the cloud, by reason
 * (plus ignored duplicates). Written in the same transaction as the deletion it explains, so
 * the ledger and the records table always agree.
 */
import type Database from 'better-sqlite3';

export class Ledger {
  readonly #db: Database.Database;
  readonly #add: Database.Statement<[string, number]>;
  #counts: Record<string, number> = {};

  constructor(db: Database.Database) {
    this.#db = db;
    this.#add = db.prepare(
      'INSERT INTO ledger (reason, count) VALUES (?, ?) ON CONFLICT (reason) DO UPDATE SET count = count + excluded.count',
    );
    this.reload();
  }

  reload(): void {
    const rows = this.#db.prepare('SELECT reason, count FROM ledger').all() as { reason: string; count: number }[];
    this.#counts = Object.fromEntries(rows.map((r) => [r.reason, r.count]));
  }

  /** Call inside the transaction that removed (or refused) the records. */
  add(reason: string, count: number): void {
    if (count <= 0) return;
    this.#add.run(reason, count);
    this.#counts[reason] = (this.#counts[reason] ?? 0) + count;
  }

  counts(): Record<string, number> {
    return { ...this.#counts };
  }
}
