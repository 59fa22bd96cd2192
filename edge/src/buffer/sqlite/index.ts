/**
 * SQLite store-and-forward buffer.
 *
 * Durable when: `append()` / `quarantine()` resolve only after the transaction holding the data
 * committed. Writes arriving within one `commitIntervalMs` tick (or until `maxGroupRecords`)
 * share one transaction (group commit). The database runs in WAL mode; with
 * `synchronous = full` (default) a commit is fsynced before the promise resolves, so it survives
 * a power cut; with `normal` it survives a process crash (kill -9) but the last commits before a
 * power cut may be lost. Intake sends PUBACK only after `append()` resolved, hence the default.
 * A record leaves the table only by `acknowledge()` (after the cloud's 2xx) or by a relief /
 * expiry step that counts it in the ledger in the same transaction.
 *
 * Tables:
 *   records    seq (autoincrement, send order), id UNIQUE (a re-sent id is ignored and counted
 *              as `duplicate`), priority 0 critical | 1 alert | 2 telemetry, kind, source_id,
 *              device_time, received_at, bytes (JSON size, what the quota counts), payload (the
 *              FleetRecord JSON), level (1 once kept by a compaction), lease (in-flight batch,
 *              NULL when queued). Indexes: (priority, seq) for the queue; (seq) over
 *              not-yet-compacted telemetry for compaction.
 *   quarantine original bytes (BLOB) of refused input with reason, detail, topic, source;
 *              capped at `maxQuarantineRecords`, oldest dropped (`quarantine_trimmed`).
 *   ledger     reason -> count of records gone without reaching the cloud.
 *   meta       schema_version.
 * Leases are not durable on purpose: at open every lease is cleared, so a batch in flight when
 * the process died is sent again (the ids make that harmless).
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
