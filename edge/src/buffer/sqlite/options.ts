/**
 * Options of the SQLite buffer, with their documented defaults (see docs/buffer.md for the
 * measurements behind `synchronous` and `commitIntervalMs`).
 */
import { statfs } from 'node:fs/promises';
import type { Logger } from 'pino';
import { DAY_MS } from '@fleetwire/protocol';
import { createOptionChecks } from '../option-checks.js';

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

export interface SqliteBufferOptions {
  /** Database file; its folder is created when missing. */
  path: string;
  /** `full` (default): a committed append survives a power cut. `normal`: survives a process crash only. */
  synchronous?: 'full' | 'normal';
  /** Group commit tick: appends arriving within it share one transaction. 0 = next event-loop turn. Default 5. */
  commitIntervalMs?: number;
  /** A group is committed at once when it reaches this many records. Default 2000. */
  maxGroupRecords?: number;
  /** Byte quota on stored record JSON (not the file size). Default 1 GiB. */
  maxBytes?: number;
  /** Free-disk floor for the database folder. Default 256 MiB. */
  minFreeDiskBytes?: number;
  /** Telemetry older than this (by edge receive time) expires. Default 7 days. */
  maxAgeMs?: number;
  /** Telemetry committed within this window is "live" and gets its share of every batch. Default 10 s. */
  liveWindowMs?: number;
  /** Share of the telemetry room in a batch reserved for live records, 0–1. Default 0.5. */
  liveShare?: number;
  /** Compaction keeps every Nth telemetry record per device in the oldest portion. Default 4. */
  compactKeepEvery?: number;
  /** Records looked at per compaction or eviction step (bounds memory and pause length). Default 5000. */
  reliefStepRecords?: number;
  /** Relief frees this fraction below the quota/floor so it does not run on every append. Default 0.05. */
  reliefMargin?: number;
  /** Quarantine keeps at most this many entries, dropping the oldest (ledger `quarantine_trimmed`). Default 10000. */
  maxQuarantineRecords?: number;
  /**
   * Quarantine keeps at most this many bytes of original input (sum of the stored BLOBs),
   * dropping the oldest (ledger `quarantine_trimmed`); an entry larger on its own is not stored
   * and counted the same way. Default 64 MiB.
   */
  maxQuarantineBytes?: number;
  /**
   * Dedupe entries of deleted records are queued (table `stale`) and removed this many at a time,
   * in one transaction: far cheaper than one by one. Bounds that table and the pause of one
   * prune. Default 20000.
   */
  idPruneRecords?: number;
  /** Period of expiry and free-disk checks. Default 1000 ms. */
  maintenanceIntervalMs?: number;
  /**
   * SQLite page cache of the buffer's connection: a fixed bound, so memory stays flat as the
   * backlog grows; large enough to keep the dedupe index of a big backlog in memory. Default 32 MiB.
   */
  cacheBytes?: number;
  /** Default: statfs on the database folder. */
  diskSpace?: DiskSpace;
  logger?: Logger;
  /** Clock, ms since epoch. Default Date.now. */
  now?: () => number;
}

export type ResolvedBufferOptions = Required<Omit<SqliteBufferOptions, 'logger'>> & { logger?: Logger };


export function resolveBufferOptions(options: SqliteBufferOptions): ResolvedBufferOptions {
  const check = createOptionChecks('FW_BUFFER_OPTIONS_INVALID', 'sqlite buffer');
  return {
    path: check.text('path', options.path),
    synchronous: check.oneOf('synchronous', options.synchronous, ['full', 'normal'], 'full'),
    commitIntervalMs: check.number('commitIntervalMs', options.commitIntervalMs, 5, { min: 0, max: 10_000 }),
    maxGroupRecords: check.number('maxGroupRecords', options.maxGroupRecords, 2000, { min: 1 }),
    maxBytes: check.number('maxBytes', options.maxBytes, 1024 ** 3, { min: 1 }),
    minFreeDiskBytes: check.number('minFreeDiskBytes', options.minFreeDiskBytes, 256 * 1024 ** 2, { min: 0 }),
    maxAgeMs: check.number('maxAgeMs', options.maxAgeMs, 7 * DAY_MS, { min: 1 }),
    liveWindowMs: check.number('liveWindowMs', options.liveWindowMs, 10_000, { min: 0 }),
    liveShare: check.number('liveShare', options.liveShare, 0.5, { min: 0, max: 1, integer: false }),
    compactKeepEvery: check.number('compactKeepEvery', options.compactKeepEvery, 4, { min: 2 }),
    reliefStepRecords: check.number('reliefStepRecords', options.reliefStepRecords, 5000, { min: 1 }),
    reliefMargin: check.number('reliefMargin', options.reliefMargin, 0.05, { min: 0, max: 0.9, integer: false }),
    maxQuarantineRecords: check.number('maxQuarantineRecords', options.maxQuarantineRecords, 10_000, { min: 1 }),
    maxQuarantineBytes: check.number('maxQuarantineBytes', options.maxQuarantineBytes, 64 * 1024 ** 2, { min: 1 }),
    idPruneRecords: check.number('idPruneRecords', options.idPruneRecords, 20_000, { min: 1 }),
    maintenanceIntervalMs: check.number('maintenanceIntervalMs', options.maintenanceIntervalMs, 1000, { min: 10 }),
    cacheBytes: check.number('cacheBytes', options.cacheBytes, 32 * 1024 ** 2, { min: 64 * 1024 }),
    diskSpace: options.diskSpace ?? statfsDiskSpace,
    now: options.now ?? Date.now,
    ...(options.logger ? { logger: options.logger } : {}),
  };
}
