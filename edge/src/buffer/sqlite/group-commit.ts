/**
 * Group commit: writes submitted together share a single SQLite transaction, and each
 * submitter's promise settles only after that transaction is durable (or failed).
 *
 * With `sync` (synchronous = full) the connection itself runs with synchronous = NORMAL, so a
 * COMMIT only writes the WAL frames (page cache, no fsync) and returns at once; `sync` then
 * fsyncs the WAL file on libuv's thread pool while the event loop goes on decoding the next
 * messages. Once `sync` resolves, every transaction committed before it started is on disk —
 * the WAL is append-only and recovery replays its valid prefix — and only then do their
 * submitters' promises resolve (intake sends the PUBACKs). That is synchronous = FULL's
 * guarantee without the event loop standing still for every fsync.
 *
 * Pipelined: a group is committed `intervalMs` after its first write (0: on the next event-loop
 * turn) even while the previous group's fsync runs — a COMMIT only appends to the WAL, which the
 * fsync under way does not need to be still. One fsync runs at a time: the groups committed
 * during it wait, and the next fsync, started the moment it returns, makes them all durable.
 * A group's submitters are settled only by an fsync that began after its COMMIT returned, never
 * by the one that was under way then. A slow disk thus makes the fsyncs cover more groups instead
 * of queueing, and the disk never waits for a COMMIT that could have run during its last fsync.
 */
import type Database from 'better-sqlite3';
import { EdgeError } from '../../errors.js';
import type { CommitStats } from '../buffer.js';

interface Job {
  write(): void;
  resolve(): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  db: Database.Database;
  /** 0: commit on the next event-loop turn (still grouping everything submitted in this one). */
  intervalMs: number;
  /** Committed at once when this many records are pending. */
  maxGroupRecords: number;
  /** Makes every transaction committed so far durable (fsync of the WAL); absent: a commit is enough. */
  sync?: { async(): Promise<void> };
  /** Called after a rolled-back transaction, to rebuild in-memory mirrors. */
  onRollback(): void;
  /** Called after each successful commit, before the submitters' promises settle. */
  afterCommit(): void;
}

export class GroupCommit {
  readonly #options: GroupCommitOptions;
  /** Submitted, not yet committed. */
  #pending: Job[] = [];
  #pendingSize = 0;
  /** Committed, waiting for the next sync to start. */
  #committed: Job[] = [];
  /** The sync under way, if any. */
  #syncing: Promise<void> | undefined;
  /** A write outside the groups came after the sync under way began: sync again when it ends. */
  #resync = false;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #timerIsImmediate = false;
  /** When the pending group's first write arrived (performance.now()). */
  #openedAt = 0;
  /** When each group in #committed finished its COMMIT. */
  #committedAt: number[] = [];
  readonly #stats: CommitStats = { groups: 0, writes: 0, collectMs: 0, transactionMs: 0, syncWaitMs: 0, syncs: 0, syncMs: 0 };

  constructor(options: GroupCommitOptions) {
    this.#options = options;
  }

  /** `write` runs inside the group's transaction; it must only touch the database and mirrors. */
  /**
   * `soon`: someone waits on this write (a return's verdict), so its group is committed on the
   * next event-loop turn instead of after `intervalMs`, with whatever arrived in this one.
   */
  submit(size: number, write: () => void, soon = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#pending.length === 0) this.#openedAt = performance.now();
      this.#pending.push({ write, resolve, reject });
      this.#pendingSize += size;
      if (this.#pendingSize >= this.#options.maxGroupRecords) this.#commit();
      else this.#schedule(soon);
    });
  }

  /** A write made outside the groups (an acknowledge) becomes durable with the next sync, started now or after the one under way. */
  syncSoon(): void {
    if (!this.#options.sync) return;
    if (this.#syncing) this.#resync = true;
    else this.#startSync();
  }

  /** Where the time of the groups went so far (summed; see CommitStats). */
  get stats(): Readonly<CommitStats> {
    return this.#stats;
  }

  /** Resolves once no sync is under way (at close, before the WAL's descriptor goes). */
  async idle(): Promise<void> {
    // A sync that returns starts the next one before its promise settles: loop until none follows.
    while (this.#syncing) await this.#syncing;
  }

  /**
   * Commits everything pending now (at close). Its fsync starts at once, or — with one under way —
   * the moment that one returns, so that a failure of the one under way refuses it too; `idle()`
   * waits for both.
   */
  flush(): void {
    this.#cancelTimer();
    this.#commit();
  }

  #commit(): void {
    this.#cancelTimer();
    if (this.#pending.length === 0) return;
    const jobs = this.#pending;
    const writes = this.#pendingSize;
    this.#pending = [];
    this.#pendingSize = 0;
    const started = performance.now();
    try {
      this.#options.db.transaction(() => {
        for (const job of jobs) job.write();
      })();
    } catch (cause) {
      this.#options.onRollback();
      return settle(jobs, new EdgeError('FW_BUFFER_WRITE_FAILED', 'buffer transaction failed; nothing in it was stored', { cause, canRetry: true }));
    }
    const committed = performance.now();
    const stats = this.#stats;
    stats.groups += 1;
    stats.writes += writes;
    stats.collectMs += started - this.#openedAt;
    stats.transactionMs += committed - started;
    try {
      this.#options.afterCommit();
    } finally {
      if (this.#options.sync) {
        for (const job of jobs) this.#committed.push(job);
        this.#committedAt.push(committed);
        if (!this.#syncing) this.#startSync();
      } else {
        settle(jobs);
      }
    }
  }

  #startSync(): void {
    const jobs = this.#committed;
    this.#committed = [];
    this.#resync = false;
    const started = performance.now();
    for (const committed of this.#committedAt) this.#stats.syncWaitMs += started - committed;
    this.#committedAt = [];
    this.#syncing = this.#options.sync!.async().then(
      () => this.#synced(jobs, started),
      (cause: unknown) => this.#synced(jobs, started, syncFailed(cause)),
    );
  }

  #synced(jobs: readonly Job[], started: number, failure?: EdgeError): void {
    this.#stats.syncs += 1;
    this.#stats.syncMs += performance.now() - started;
    this.#syncing = undefined;
    let settling = jobs;
    if (failure) {
      // What was committed during a failed fsync follows WAL frames that may never reach the disk,
      // and recovery stops at the first missing frame: a later fsync would not make it durable.
      settling = [...jobs, ...this.#committed];
      this.#committed = [];
      this.#committedAt = [];
    }
    // The groups committed meanwhile start their fsync before this one's submitters run.
    if (this.#committed.length > 0 || this.#resync) this.#startSync();
    settle(settling, failure);
  }

  #schedule(soon: boolean): void {
    const immediate = soon || this.#options.intervalMs === 0;
    if (this.#timer !== undefined) {
      if (!immediate || this.#timerIsImmediate) return;
      this.#cancelTimer();
    }
    const run = (): void => {
      this.#timer = undefined;
      this.#commit();
    };
    this.#timerIsImmediate = immediate;
    this.#timer = immediate ? setImmediate(run) : setTimeout(run, this.#options.intervalMs);
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }
}

function settle(jobs: readonly Job[], error?: EdgeError): void {
  for (const job of jobs) {
    if (error) job.reject(error);
    else job.resolve();
  }
}

/**
 * The transaction is in the WAL but may not be on disk: refused, so the device keeps the
 * message and re-sends it, and the stored copy (if it survives) makes the re-send a duplicate.
 */
function syncFailed(cause: unknown): EdgeError {
  return new EdgeError('FW_BUFFER_WRITE_FAILED', 'buffer fsync failed; the write may not be durable', { cause, canRetry: true });
}
