/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
 * takes the WAL past its threshold, and waits there for two fsyncs (the WAL, then the database
 * file it just copied ~4 MB of pages to): at 10,000 records a second that is a 3–220 ms stop of
 * the event loop about every 0.3 s, depending on the disk's queue (docs/buffer.md,
 * "buffer-turns"). Here a worker thread holds a second connection and runs PASSIVE checkpoints
 * — which never wait for the writer and never block it — after the buffer's commits (at most
 * one per 100 ms: each costs two fsyncs, and the commits' own WAL syncs queue behind them; the
 * last commits of a burst are checkpointed once the 100 ms have passed), so
 * the WAL is mostly copied back before the main connection's own automatic checkpoint comes
 * due; that one is kept at a higher threshold (`BACKSTOP_PAGES`) as a backstop: it bounds the WAL
 * if the worker falls behind, and lets the WAL restart from its start, so what it still has to
 * copy on the event loop is the little the worker has not.
 *
 * A worker thread with its own V8 heap and SQLite connection costs ~16 MB of RSS, so it runs
 * only while the buffer commits at least `minRecordsPerSecond`, and stops after `idleMs` below
 * it: an idle agent and a small fleet do not pay for it.
 *
 * Durability is SQLite's own: a checkpoint from another connection copies only committed frames,
 * syncs the WAL before and the database after, and the WAL restarts only once all of it is in
 * the database file.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

/** The main connection's automatic checkpoint, once the worker runs (SQLite's default: 1,000). */
export const BACKSTOP_PAGES = 4000;
const DEFAULT_PAGES = 1000;
/** Checkpoints at most this often: each costs two fsyncs, which the WAL syncs of the commits queue behind. */
const MIN_CHECKPOINT_GAP_MS = 100;

// Plain CommonJS for `eval`: no file to ship beside the bundle. One request at a time.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
parentPort.on('message', () => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message || error) });
  }
});
`;

export interface CheckpointerOptions {
  db: Database.Database;
  path: string;
  /** The worker starts once the buffer commits this many records within a second. */
  minRecordsPerSecond: number;
  /** ...and stops once no second reached that for this long. */
  idleMs: number;
  logger?: Logger | undefined;
  now?: () => number;
}

export class WalCheckpointer {
  readonly #options: CheckpointerOptions;
  readonly #now: () => number;
  #worker: Worker | undefined;
  #busy = false;
  /** A commit came after the last checkpoint began. */
  #requested = false;
  /** When the last checkpoint ended (monotonic clock). */
  #lastCheckpoint = Number.NEGATIVE_INFINITY;
  /** Waits out the gap between checkpoints, so a burst's last commits are checkpointed too. */
  #timer: NodeJS.Timeout | undefined;
  #second = 0;
  #secondRecords = 0;
  #lastBusy = Number.NEGATIVE_INFINITY;
  #closed = false;
  /** The worker failed (it could not load the driver or open the file): the buffer goes on without it. */
  #failed = false;

  constructor(options: CheckpointerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Whether the worker is running. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /**
   * Call after each commit of `records` records, and with 0 now and then (so an idle buffer lets
   * the worker go): counts the rate, starts or stops the worker, and has it checkpoint — at once,
   * or once `MIN_CHECKPOINT_GAP_MS` have passed since the last checkpoint.
   */
  committed(records: number): void {
    if (this.#closed || this.#failed) return;
    const now = this.#now();
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#secondRecords = 0;
    }
    this.#secondRecords += records;
    if (this.#secondRecords >= this.#options.minRecordsPerSecond) this.#lastBusy = now;
    const wanted = now - this.#lastBusy < this.#options.idleMs;
    if (wanted && this.#worker === undefined) this.#start();
    else if (!wanted && this.#worker !== undefined) this.#stop();
    if (records > 0) this.#requested = true;
    this.#kick();
  }

  #kick(): void {
    const worker = this.#worker;
    if (worker === undefined || !this.#requested || this.#busy || this.#timer !== undefined) return;
    const wait = this.#lastCheckpoint + MIN_CHECKPOINT_GAP_MS - performance.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, wait);
      this.#timer.unref();
      return;
    }
    this.#requested = false;
    this.#busy = true;
    worker.postMessage(0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #start(): void {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: this.#options.path }, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 } });
    worker.unref();
    worker.on('message', (result: { ok: boolean; message?: string }) => {
      if (this.#worker !== worker) return;
      this.#busy = false;
      this.#lastCheckpoint = performance.now();
      if (!result.ok) this.#options.logger?.warn({ event: 'buffer_checkpoint_failed', error: result.message }, 'buffer_checkpoint_failed');
      this.#kick();
    });
    worker.on('error', (error) => {
      this.#options.logger?.warn({ event: 'buffer_checkpointer_failed', err: error }, 'buffer_checkpointer_failed');
      this.#failed = true;
      if (this.#worker === worker) this.#stop();
    });
    this.#worker = worker;
    this.#busy = false;
    this.#options.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.#options.logger?.info({ event: 'buffer_checkpointer_started' }, 'buffer_checkpointer_started');
  }

  #stop(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#busy = false;
    this.#options.db.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
    void worker?.terminate();
    this.#options.logger?.info({ event: 'buffer_checkpointer_stopped' }, 'buffer_checkpointer_stopped');
  }
}
