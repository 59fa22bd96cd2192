/**
 * The SQLite RecordBuffer: wires the group-commit writer, the send queue, the relief policy
 * and the ledger around one database connection. See index.ts for the invariants.
 */
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { FleetRecord } from '@fleetwire/protocol';
import { EdgeError } from '../../errors.js';
import { batchIds, type BacklogStats, type BatchLimits, type OutgoingBatch, type QuarantineEntry, type RecordBuffer } from '../buffer.js';
import { BacklogCounters } from './counters.js';
import { GroupCommit } from './group-commit.js';
import { LeaseBook } from './leases.js';
import { Ledger } from './ledger.js';
import { LiveWindow } from './live-window.js';
import { DedupeIndex } from './dedupe-index.js';
import type { ResolvedBufferOptions } from './options.js';
import { QuarantineTable } from './quarantine.js';
import { RecordQueue } from './queue.js';
import { toRecordRow, type RecordRow } from './records.js';
import { Relief } from './relief.js';
import { expiryCutoff, type PressureInput, type ReliefLimits } from './relief-policy.js';
import { openDatabase, PRIORITY_CODE } from './schema.js';
import { openWalSync, type WalSync } from './wal-sync.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/** How long the checkpoint worker stays after the commit rate fell below its threshold. */
const CHECKPOINTER_IDLE_MS = 60_000;

export class SqliteBuffer implements RecordBuffer {
  readonly #options: ResolvedBufferOptions;
  readonly #db: Database.Database;
  readonly #counters: BacklogCounters;
  readonly #ledger: Ledger;
  readonly #ids: DedupeIndex;
  readonly #queue: RecordQueue;
  readonly #relief: Relief;
  readonly #writer: GroupCommit;
  readonly #walSync: WalSync | undefined;
  readonly #live: LiveWindow;
  readonly #quarantine: QuarantineTable;
  readonly #insert: Database.Statement<[number, string, number, string, string, number, number, number, string]>;
  readonly #pageSize: number;
  readonly #maintenance: NodeJS.Timeout;
  readonly #checkpointer: WalCheckpointer | undefined;
  /** #nextSeq at the last commit: the records each commit stored. */
  #committedSeq: number;
  /** Seq of the next stored record: assigned here so the ids entry can name it before the insert. */
  #nextSeq: number;
  #groupFirstSeq: number | undefined;
  #fsFreeBytes: number | null = null;
  #refusing = false;
  #closed = false;
  #maintaining: Promise<void> = Promise.resolve();

  constructor(options: ResolvedBufferOptions) {
    this.#options = options;
    this.#db = openDatabase(options);
    try {
      this.#walSync = options.synchronous === 'full' ? openWalSync(options.path, options.fileSync) : undefined;
      // The schema steps committed at open become durable now.
      this.#walSync?.now();
    } catch (cause) {
      this.#db.close();
      throw new EdgeError('FW_BUFFER_UNUSABLE', `cannot use buffer database ${options.path}: its WAL cannot be synced (${(cause as Error).message})`, { cause });
    }
    this.#counters = new BacklogCounters(this.#db);
    this.#ledger = new Ledger(this.#db);
    this.#ids = new DedupeIndex(this.#db, { bulkRecords: options.idPruneRecords, stepRecords: options.idStepRecords, logger: options.logger });
    const leases = new LeaseBook();
    // Lets relief's SQL skip records in flight without a lease column (see relief.ts).
    this.#db.function('fw_leased', { deterministic: false }, (priority, seq) => (leases.covers(Number(priority), Number(seq)) ? 1 : 0));
    this.#queue = new RecordQueue(this.#db, this.#counters, leases, this.#ids);
    this.#relief = new Relief(this.#db, { counters: this.#counters, ledger: this.#ledger, ids: this.#ids }, this.#reliefLimits(), options.logger);
    this.#nextSeq = lastSeq(this.#db) + 1;
    this.#committedSeq = this.#nextSeq;
    this.#checkpointer =
      options.checkpointWorkerRate > 0
        ? new WalCheckpointer({ db: this.#db, path: options.path, minRecordsPerSecond: options.checkpointWorkerRate, idleMs: CHECKPOINTER_IDLE_MS, logger: options.logger, now: options.now })
        : undefined;
    this.#live = new LiveWindow(options.liveWindowMs);
    this.#pageSize = this.#db.pragma('page_size', { simple: true }) as number;
    this.#insert = this.#db.prepare(
      `INSERT INTO records (seq, id, priority, kind, source_id, device_time, received_at, bytes, payload)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#quarantine = new QuarantineTable(this.#db, this.#counters, this.#ledger, {
      maxRecords: options.maxQuarantineRecords,
      maxBytes: options.maxQuarantineBytes,
    });
    this.#writer = new GroupCommit({
      db: this.#db,
      intervalMs: options.commitIntervalMs,
      maxGroupRecords: options.maxGroupRecords,
      ...(this.#walSync ? { sync: this.#walSync } : {}),
      onRollback: () => {
        this.#groupFirstSeq = undefined;
        this.#counters.reload();
        this.#ledger.reload();
      },
      afterCommit: () => this.#afterCommit(),
    });
    // A slow statfs must not pile up runs: a tick that finds one still running is skipped.
    let running = false;
    const tick = (): void => {
      if (running) return;
      running = true;
      this.#maintaining = this.#maintain().finally(() => {
        running = false;
      });
    };
    this.#maintenance = setInterval(tick, options.maintenanceIntervalMs).unref();
    tick();
  }

  append(records: readonly FleetRecord[]): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    let rows: RecordRow[];
    try {
      rows = records.map(toRecordRow);
    } catch (error) {
      return Promise.reject(error);
    }
    if (rows.length === 0) return Promise.resolve();
    // A critical record (a return's verdict, a fraud alarm) has someone waiting on its commit:
    // its group does not wait for the commit interval.
    const soon = rows.some((r) => r.priority === PRIORITY_CODE.critical);
    return this.#writer.submit(rows.length, () => {
      let duplicates = 0;
      for (const r of rows) {
        const seq = this.#nextSeq;
        if (!this.#ids.claim(r.id, seq)) {
          duplicates += 1;
          continue;
        }
        this.#insert.run(seq, r.id, r.priority, r.kind, r.sourceId, r.deviceTime, r.receivedAt, r.bytes, r.payload);
        this.#nextSeq += 1;
        this.#counters.added(r.priority, r.bytes);
        this.#groupFirstSeq ??= seq;
      }
      this.#ledger.add('duplicate', duplicates);
    }, soon);
  }

  quarantine(entry: QuarantineEntry): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    return this.#writer.submit(1, () => this.#quarantine.insert(entry));
  }

  takeBatch(limits: BatchLimits): OutgoingBatch | undefined {
    this.#assertOpen();
    const liveStart = this.#live.startSeq(this.#options.now());
    return this.#queue.take(limits, liveStart, this.#options.liveShare);
  }

  acknowledge(batch: OutgoingBatch): void {
    this.#assertOpen();
    this.#queue.acknowledge(batchIds(batch));
    this.#writer.syncSoon();
    if (this.#refusing) this.#runRelief();
  }

  release(batch: OutgoingBatch): void {
    this.#assertOpen();
    this.#queue.release(batchIds(batch));
  }

  stats(): BacklogStats {
    const oldest = this.#closed ? null : this.#queue.oldestReceivedAt();
    return {
      records: this.#counters.totalRecords,
      bytes: this.#counters.totalBytes,
      byPriority: this.#counters.byPriority(),
      oldestUnsentAgeMs: oldest === null ? null : Math.max(0, this.#options.now() - oldest),
      quarantined: this.#counters.quarantined,
      quarantinedBytes: this.#counters.quarantinedBytes,
      ledger: this.#ledger.counts(),
      commits: this.#writer.stats,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#maintenance);
    this.#writer.flush();
    this.#closed = true;
    await Promise.all([this.#maintaining, this.#writer.idle(), this.#checkpointer?.close()]);
    this.#db.close();
    this.#walSync?.close();
  }

  #afterCommit(): void {
    const stored = this.#nextSeq - this.#committedSeq;
    this.#committedSeq = this.#nextSeq;
    this.#ids.appended(this.#nextSeq - 1, stored);
    if (this.#groupFirstSeq !== undefined) this.#live.mark(this.#groupFirstSeq, this.#options.now());
    this.#groupFirstSeq = undefined;
    this.#checkpointer?.committed(stored);
    const overQuota = this.#counters.totalBytes > this.#options.maxBytes;
    const lowDisk = this.#fsFreeBytes !== null && this.#fsFreeBytes < this.#options.minFreeDiskBytes;
    if (overQuota || lowDisk) this.#runRelief();
  }

  async #maintain(): Promise<void> {
    if (this.#closed) return;
    this.#checkpointer?.committed(0);
    try {
      const free = await this.#options.diskSpace.freeBytes(dirname(this.#options.path));
      if (this.#closed) return;
      this.#fsFreeBytes = free;
      this.#relief.expire(expiryCutoff(this.#options.now(), this.#options.maxAgeMs));
      this.#runRelief();
    } catch (error) {
      this.#options.logger?.error({ event: 'buffer_maintenance_failed', err: error }, 'buffer_maintenance_failed');
    }
  }

  #runRelief(): void {
    try {
      const liveStart = this.#live.startSeq(this.#options.now());
      const { refuse } = this.#relief.relieve(() => this.#pressure(), liveStart);
      if (refuse !== this.#refusing) {
        this.#options.logger?.[refuse ? 'error' : 'info']({ event: refuse ? 'buffer_full' : 'buffer_accepting' }, refuse ? 'buffer_full' : 'buffer_accepting');
      }
      this.#refusing = refuse;
    } catch (error) {
      this.#counters.reload();
      this.#ledger.reload();
      this.#options.logger?.error({ event: 'buffer_relief_failed', err: error }, 'buffer_relief_failed');
    }
  }

  #pressure(): PressureInput {
    const freelist = this.#db.pragma('freelist_count', { simple: true }) as number;
    return {
      storedBytes: this.#counters.totalBytes,
      freeDiskBytes: this.#fsFreeBytes === null ? null : this.#fsFreeBytes + freelist * this.#pageSize,
      telemetryRecords: this.#counters.records[2]!,
      compactableRecords: this.#counters.compactable,
      alertRecords: this.#counters.records[1]!,
    };
  }

  #reliefLimits(): ReliefLimits {
    const o = this.#options;
    return {
      maxBytes: o.maxBytes,
      minFreeDiskBytes: o.minFreeDiskBytes,
      margin: o.reliefMargin,
      compactKeepEvery: o.compactKeepEvery,
      stepRecords: o.reliefStepRecords,
    };
  }

  #refusal(): EdgeError | undefined {
    if (this.#closed) return new EdgeError('FW_BUFFER_CLOSED', 'buffer is closed');
    if (this.#refusing) {
      return new EdgeError('FW_BUFFER_FULL', 'free-disk floor reached and only critical events are left; retry later', {
        canRetry: true,
      });
    }
    return undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw new EdgeError('FW_BUFFER_CLOSED', 'buffer is closed');
  }
}

/** The highest seq ever used (seqs are never reused: `ids` entries name records by seq). */
function lastSeq(db: Database.Database): number {
  const row = db
    .prepare(
      `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'records'), 0),
                  coalesce((SELECT max(seq) FROM records), 0), coalesce((SELECT max(seq) FROM stale), 0)) AS last`,
    )
    .get() as { last: number };
  return row.last;
}
