/**
 * SQLite store-and-forward buffer.
 *
 * Durable when: `append()` / `quarantine()` resolve only after the transaction holding the data
 * committed. Writes share one transaction (group commit), committed `commitIntervalMs` after the
 * first (0: next turn), also during the previous group's fsync; one fsync runs at a time and
 * settles only the groups committed before it began. The database runs in WAL mode; with
 * `synchronous = full` (default) the WAL is fdatasynced on the thread pool (wal-sync.ts; the
 * connection itself runs NORMAL, so the event loop never waits for the disk) before the promises
 * resolve, so a resolved append
 * survives a power cut; with `normal` it survives a process crash (kill -9) but the last commits
 * before a power cut may be lost. Intake sends PUBACK only after `append()` resolved, hence the
 * default.
 * A record leaves the table only by `acknowledge()` (after the cloud's 2xx) or by a relief /
 * expiry step that counts it in the ledger in the same transaction.
 *
 * Tables (schema 3; a schema-1 file is rebuilt at open, 5000 rows per transaction, resumable):
 *   records    seq (autoincrement, never reused, send order within a class), id (MessageId),
 *              priority 0 critical | 1 alert | 2 telemetry, kind, source_id, device_time,
 *              received_at, bytes (JSON size, what the quota counts), payload (the FleetRecord
 *              JSON), level (1 once kept by a compaction). Indexes: (priority, seq) for the
 *              queue; (seq) over not-yet-compacted telemetry for compaction. No lease column and
 *              no index on id: deleting a delivered row touches only seq-ordered B-trees.
 *   ids        id -> seq, WITHOUT ROWID: duplicate detection. An id is refused (ledger
 *              `duplicate`) while the record named by its entry is stored; an entry whose record
 *              is gone is stale and is taken over by the next record with that id. New entries
 *              are merged `idPruneRecords` at a time in id order, in steps of `idStepRecords`
 *              (ids sort by device, so one entry per record rewrote a scattered page per
 *              record); until then the records
 *              above `meta.ids_merged_through` answer for them (in memory, read back at open).
 *   stale      seq, id of deleted records, filled by a trigger in the deleting transaction; once
 *              `idPruneRecords` are queued their `ids` entries are removed together, in id order
 *              (ids sort by device, so one-by-one deletes rewrote about a page per record), in
 *              steps of at most `idStepRecords` rows, each a transaction, done a bounded
 *              amount at a time by the deletes that queue further entries (ids-prune.ts).
 *   quarantine original bytes (BLOB) of refused input with reason, detail, topic, source;
 *              capped at `maxQuarantineRecords` entries and `maxQuarantineBytes` of BLOBs,
 *              oldest dropped (`quarantine_trimmed`); an entry over the byte cap alone is not
 *              stored (counted the same way). See quarantine.ts.
 *   ledger     reason -> count of records gone without reaching the cloud.
 *   meta       schema_version, ids_merged_through.
 * In flight: `takeBatch` leases the rows it returns in memory only (leases.ts: runs of seqs per
 * priority, skipped by range in the next scans; relief's SQL asks `fw_leased(priority, seq)`).
 * Nothing about a lease is written, so after a restart nothing is in flight and a batch that
 * was out when the process died is sent again (the ids make that harmless). `acknowledge`
 * deletes by seq in one transaction and starts a WAL sync, so once it returned, a process crash
 * cannot bring those records back (a power cut before that sync can: they are sent again and the
 * cloud's id dedupe drops them); `release` only drops the lease.
 * WAL checkpoints: while the buffer commits ≥ `checkpointWorkerRate` records a second, a worker
 * thread's connection runs them (PASSIVE) after the commits, so SQLite's automatic checkpoint
 * (kept at a higher threshold as a backstop) no longer stops the event loop for its fsyncs
 * (wal-checkpointer.ts).
 * Measured (edge/bench/buffer-backlog.ts, 1M telemetry records, shared 2-core VM, same session):
 * drain 20k → 57k records/s and 23.9 → 11.9 µs CPU per record against schema 1; about 5× the
 * saturated MQTT intake of edge/bench/intake.ts. RSS flat from 100k to 1M records (the page
 * cache is capped by `cacheBytes`). Details: docs/buffer.md.
 *
 * When full (byte quota `maxBytes` on stored JSON, or free disk below `minFreeDiskBytes`):
 * compact old telemetry (keep every Nth per device), then evict the oldest telemetry, then the
 * oldest alerts; critical events are never evicted. If the disk floor is reached and only
 * critical events (or in-flight records) remain, appends are refused with FW_BUFFER_FULL
 * (retryable) until the uplink drains: the device keeps what was not PUBACKed. Telemetry older
 * than `maxAgeMs` expires. Every step touches at most `reliefStepRecords` rows, and nothing
 * loads the backlog into memory.
 */
import type { RecordBuffer } from '../buffer.js';
import { resolveBufferOptions, type SqliteBufferOptions } from './options.js';
import { SqliteBuffer } from './sqlite-buffer.js';

export type { DiskSpace, SqliteBufferOptions } from './options.js';

export function createSqliteBuffer(options: SqliteBufferOptions): RecordBuffer {
  return new SqliteBuffer(resolveBufferOptions(options));
}
