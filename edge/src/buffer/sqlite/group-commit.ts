/**
 * Group commit: writes submitted within one tick share a single SQLite transaction, and each
 * submitter's promise settles only after that transaction committed (or failed). One fsync per
 * tick instead of one per message is what makes synchronous=FULL affordable.
 */
import type Database from 'better-sqlite3';
import { EdgeError } from '../../errors.js';

interface Job {
  size: number;
  write(): void;
  resolve(): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  db: Database.Database;
  /** 0: commit on the next event-loop turn (still grouping everything submitted in this one). */
  intervalMs: number;
  maxGroupRecords: number;
  /** Called after a rolled-back transaction, to rebuild in-memory mirrors. */
  onRollback(): void;
  /** Called after each successful commit, before the submitters' promises settle. */
  afterCommit(): void;
}

export class GroupCommit {
  readonly #options: GroupCommitOptions;
  #pending: Job[] = [];
  #pendingSize = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  constructor(options: GroupCommitOptions) {
    this.#options = options;
  }

  /** `write` runs inside the group's transaction; it must only touch the database and mirrors. */
  submit(size: number, write: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ size, write, resolve, reject });
      this.#pendingSize += size;
      if (this.#pendingSize >= this.#options.maxGroupRecords) this.flush();
      else this.#schedule();
    });
  }

  /** Commits everything pending now. */
  flush(): void {
    this.#cancelTimer();
    if (this.#pending.length === 0) return;
    const jobs = this.#pending;
    this.#pending = [];
    this.#pendingSize = 0;
    try {
      this.#options.db.transaction(() => {
        for (const job of jobs) job.write();
      })();
    } catch (cause) {
      this.#options.onRollback();
      const error = new EdgeError('FW_BUFFER_WRITE_FAILED', 'buffer transaction failed; nothing in it was stored', {
        cause,
        canRetry: true,
      });
      for (const job of jobs) job.reject(error);
      return;
    }
    try {
      this.#options.afterCommit();
    } finally {
      for (const job of jobs) job.resolve();
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const run = (): void => {
      this.#timer = undefined;
      this.flush();
    };
    this.#timer = this.#options.intervalMs === 0 ? setImmediate(run) : setTimeout(run, this.#options.intervalMs);
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }
}
