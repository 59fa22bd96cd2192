/**
 * Options of the SQLite buffer: its tunables as a schema with their documented defaults (see
 * docs/buffer.md for the measurements behind `synchronous` and `commitIntervalMs`), and what
 * the agent hands it besides (file, disk probe, logger, clock).
 */
import { fdatasync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { DAY_MS } from '@fleetwire/protocol';
import { Type, type Static } from '@sinclair/typebox';
import { EdgeError } from '../../errors.js';
import { IntegerOption, OptionGroup, resolveOptions } from '../../settings.js';

/** How much room the file system has left for the database folder. I/O kept behind one call. */
export interface DiskSpace {
  freeBytes(folder: string): Promise<number>;
}

export const statfsDiskSpace: DiskSpace = {
  async freeBytes(folder) {
    const s = await statfs(folder);
    return s.bavail * s.bsize;
  },
};

/** Makes a file's written data durable. I/O kept behind one call; tests hold it to observe ordering. */
export interface FileSync {
  sync(fd: number): Promise<void>;
}

export const fdatasyncFileSync: FileSync = { sync: promisify(fdatasync) };

/**
 * The buffer's tunable options (the agent's `buffer` config section), with their defaults.
 * `synchronous` and `commitIntervalMs` are measured in docs/buffer.md.
 */
export const BufferSettingsSchema = OptionGroup({
  /** `full` (default): a committed append survives a power cut. `normal`: survives a process crash only. */
  synchronous: Type.Union([Type.Literal('full'), Type.Literal('normal')], { default: 'full' }),
  /**
   * Group commit: appends share one transaction, committed this long after the first of them
   * (0 = on the next event-loop turn), also while the previous group's fsync is under way; one
   * fsync at a time makes the groups committed before it began durable. Default 5: shorter ticks
   * make smaller groups, and each COMMIT costs CPU and rewrites its partly filled pages
   * (docs/buffer.md, docs/edge.md intake benchmark).
   */
  commitIntervalMs: IntegerOption(5, 0, 10_000),
  /** A group is committed at once when it reaches this many records. Default 2000. */
  maxGroupRecords: IntegerOption(2000, 1),
  /** Byte quota on stored record JSON (not the file size). Default 1 GiB. */
  maxBytes: IntegerOption(1024 ** 3, 1),
  /** Free-disk floor for the database folder. Default 256 MiB. */
  minFreeDiskBytes: IntegerOption(256 * 1024 ** 2, 0),
  /** Telemetry older than this (by edge receive time) expires. Default 7 days. */
  maxAgeMs: IntegerOption(7 * DAY_MS, 1),
  /** Telemetry committed within this window is "live" and gets its share of every batch. Default 10 s. */
  liveWindowMs: IntegerOption(10_000, 0),
  /** Share of the telemetry room in a batch reserved for live records, 0–1. Default 0.5. */
  liveShare: Type.Number({ default: 0.5, minimum: 0, maximum: 1 }),
  /** Compaction keeps every Nth telemetry record per device in the oldest portion. Default 4. */
  compactKeepEvery: IntegerOption(4, 2),
  /** Records looked at per compaction or eviction step (bounds memory and pause length). Default 5000. */
  reliefStepRecords: IntegerOption(5000, 1),
  /** Relief frees this fraction below the quota/floor so it does not run on every append. Default 0.05. */
  reliefMargin: Type.Number({ default: 0.05, minimum: 0, maximum: 0.9 }),
  /** Quarantine keeps at most this many entries, dropping the oldest (ledger `quarantine_trimmed`). Default 10000. */
  maxQuarantineRecords: IntegerOption(10_000, 1),
  /**
   * Quarantine keeps at most this many bytes of original input (sum of the stored BLOBs),
   * dropping the oldest (ledger `quarantine_trimmed`); an entry larger on its own is not stored
   * and counted the same way. Default 64 MiB.
   */
  maxQuarantineBytes: IntegerOption(64 * 1024 ** 2, 1),
  /**
   * The dedupe index is written in bulk, this many entries at a time, in id order: new records'
   * entries (kept in memory until then, ~100 B each) and the entries of deleted records (queued
   * in table `stale`). Far cheaper than one by one (each `ids` page is touched once for many);
   * bounds that memory and that table. Default 20000.
   */
  idPruneRecords: IntegerOption(20_000, 1),
  /**
   * A merge of new entries or a prune of stale ones runs in steps of at most this many rows, one
   * transaction each, paid for by the commits that follow (a merge: twice the records a group
   * added; a prune: three rows per deleted record; at least one step), so it never holds the
   * event loop for long: one 20,000-entry transaction took 16–33 ms, 80 ms with a 500,000-record
   * backlog. Default 1000.
   */
  idStepRecords: IntegerOption(1000, 1),
  /**
   * While the buffer commits at least this many records a second, WAL checkpoints run on a
   * second connection in a worker thread instead of inside a COMMIT on the event loop (see
   * wal-checkpointer.ts); the worker costs ~16 MB and stops after a minute below the rate.
   * 0: never. Default 2000.
   */
  checkpointWorkerRate: IntegerOption(2000, 0),
  /** Period of expiry and free-disk checks. Default 1000 ms. */
  maintenanceIntervalMs: IntegerOption(1000, 10),
  /**
   * SQLite page cache of the buffer's connection: a fixed bound, so memory stays flat as the
   * backlog grows. Default 8 MiB: during an outage the cache fills with pages intake wrote and
   * nothing reads again, and 32 MiB of it was most of what 1,000 devices at 1 Hz added to the
   * agent's memory; a larger cache keeps more of a big backlog's id index for the drain
   * (docs/buffer.md, "stats() and memory"), worth it on a box with memory to spare.
   */
  cacheBytes: IntegerOption(8 * 1024 ** 2, 64 * 1024),
});

export type BufferSettings = Static<typeof BufferSettingsSchema>;

export interface SqliteBufferOptions extends Partial<BufferSettings> {
  /** Database file; its folder is created when missing. */
  path: string;
  /** Default: statfs on the database folder. */
  diskSpace?: DiskSpace;
  /** How the WAL is made durable with synchronous = full. Default: fdatasync on the thread pool. */
  fileSync?: FileSync;
  logger?: Logger;
  /** Clock, ms since epoch. Default Date.now. */
  now?: () => number;
}

export type ResolvedBufferOptions = Required<Omit<SqliteBufferOptions, 'logger'>> & { logger?: Logger };

export function resolveBufferOptions(options: SqliteBufferOptions): ResolvedBufferOptions {
  const { path, diskSpace, fileSync, logger, now, ...settings } = options;
  if (typeof path !== 'string' || path === '') throw new EdgeError('FW_BUFFER_OPTIONS_INVALID', 'sqlite buffer: option path must be a non-empty string');
  return {
    path,
    ...resolveOptions(BufferSettingsSchema, settings, 'FW_BUFFER_OPTIONS_INVALID', 'sqlite buffer'),
    diskSpace: diskSpace ?? statfsDiskSpace,
    fileSync: fileSync ?? fdatasyncFileSync,
    now: now ?? Date.now,
    ...(logger ? { logger } : {}),
  };
}
