/**
 * The store-and-forward buffer between intake and uplink. Implementations live in sub-folders
 * (`sqlite/`); every one keeps the same promises: `append` and `quarantine` resolve only once
 * the data is durable, `takeBatch` serves critical events first and keeps live data from being
 * stuck behind a backlog, and a record leaves only through `acknowledge` (after the cloud said
 * 2xx) or through the loss ledger (compacted, evicted, expired — each counted by reason).
 */
import type { FleetRecord, ReasonCode, SerializedRecord } from '@fleetwire/protocol';

export type Priority = FleetRecord['priority'];

/** Send order of the classes: index 0 leaves first. */
export const PRIORITIES: readonly Priority[] = ['critical', 'alert', 'telemetry'];

export interface QuarantineEntry {
  receivedAt: number;
  reason: ReasonCode;
  detail: string;
  topic?: string;
  source?: { kind: string; id: string };
  /** The original bytes, kept unchanged for inspection and replay. */
  bytes: Buffer;
}

export interface OutgoingBatch {
  /** A local handle for logs; the wire idempotency key is derived by protocol encodeBatch. */
  batchId: string;
  records: FleetRecord[];
  /** Sum of the stored JSON size of the records. */
  bytes: number;
  /**
   * The same records as the JSON the buffer stored, same order. When present, senders forward
   * it as is (protocol encodeBatch accepts it) and `records` is only parsed if someone reads it:
   * parsing and re-serialising is most of the CPU of a drain.
   */
  serialized?: readonly SerializedRecord[];
}

/** A batch over stored JSON whose `records` are parsed on first read only. */
export function serializedBatch(batchId: string, serialized: readonly SerializedRecord[]): OutgoingBatch {
  let records: FleetRecord[] | undefined;
  return {
    batchId,
    serialized,
    bytes: serialized.reduce((sum, r) => sum + Buffer.byteLength(r.json), 0),
    get records() {
      records ??= serialized.map((r) => JSON.parse(r.json) as FleetRecord);
      return records;
    },
  };
}

/** Ids of a batch's records, without parsing a serialized batch. */
export function batchIds(batch: OutgoingBatch): string[] {
  return (batch.serialized ?? batch.records).map((r) => r.id);
}

/** Why a record left the buffer without reaching the cloud (or, for `duplicate`, was never stored). */
export const LEDGER_REASONS = ['compacted', 'evicted_quota', 'evicted_disk', 'expired', 'duplicate'] as const;
export type LedgerReason = (typeof LEDGER_REASONS)[number];

export interface BacklogStats {
  records: number;
  bytes: number;
  byPriority: Record<Priority, number>;
  oldestUnsentAgeMs: number | null;
  quarantined: number;
  /** Size of the quarantined original bytes. */
  quarantinedBytes: number;
  /** Loss ledger: reason -> count, over the whole life of the store. */
  ledger: Record<string, number>;
  /** Where the group commit's time went since the store was opened (absent for a store without one). */
  commits?: Readonly<CommitStats>;
}

/**
 * Running sums over the group commit's transactions, in milliseconds: per group, how long it
 * collected writes (first write → COMMIT begins), its COMMIT, and the wait from the COMMIT to the
 * start of the WAL fsync that made it durable; per fsync, its duration. An append's latency is
 * about part of the collect time + the transaction + the sync wait + one fsync.
 */
export interface CommitStats {
  groups: number;
  /** Records and quarantine entries in those groups. */
  writes: number;
  collectMs: number;
  transactionMs: number;
  syncWaitMs: number;
  syncs: number;
  syncMs: number;
}

export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
}

export interface RecordBuffer {
  /** Resolves only after the SQLite transaction holding these records has committed (group commit). */
  append(records: readonly FleetRecord[]): Promise<void>;
  /** Same durability; the original bytes are kept. */
  quarantine(entry: QuarantineEntry): Promise<void>;
  /** Next batch to send: critical first, live data not stuck behind the backlog; undefined when empty. */
  takeBatch(limits: BatchLimits): OutgoingBatch | undefined;
  /** Deletes the batch's records (by id): call only after the cloud answered 2xx. Any part of a taken batch may be acknowledged. */
  acknowledge(batch: OutgoingBatch): void;
  /** Returns an unsent batch's records to the queue after a failed send. */
  release(batch: OutgoingBatch): void;
  stats(): BacklogStats;
  close(): Promise<void>;
}
