/**
 * Committed-append throughput of the SQLite buffer: synchronous FULL vs NORMAL × group-commit
 * interval 0/2/5/20 ms, with `producers` concurrent devices each awaiting its own append before
 * the next (as intake awaits the commit before PUBACK). The peer, measured in the same run on
 * the same disk, is one transaction per record (no group commit) at the same `synchronous`.
 *
 *   node --import tsx edge/bench/buffer-durability.ts [--seconds 3] [--producers 200]   (seconds per cell)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteBuffer } from '../src/buffer/sqlite/index.js';
import { telemetryRecord } from '../test/support/telemetry-records.js';
import { benchOptions } from './bench-options.js';

const values = benchOptions('node --import tsx edge/bench/buffer-durability.ts [--seconds 3] [--producers 200]   (seconds per cell)', { seconds: '3', producers: '200' });
const seconds = Number(values.seconds);
const producers = Number(values.producers);

interface Cell {
  recordsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function measureBuffer(synchronous: 'full' | 'normal', commitIntervalMs: number): Promise<Cell> {
  const folder = mkdtempSync(join(tmpdir(), 'fleetwire-bench-'));
  const buffer = createSqliteBuffer({ path: join(folder, 'buffer.db'), synchronous, commitIntervalMs, maxBytes: 2 ** 40, minFreeDiskBytes: 0 });
  const latencies: number[] = [];
  let committed = 0;
  let seq = 0;
  const deadline = performance.now() + seconds * 1000;
  const producer = async (device: number): Promise<void> => {
    while (performance.now() < deadline) {
      const started = performance.now();
      await buffer.append([telemetryRecord(seq++, { deviceId: `VH-${device}` })]);
      latencies.push(performance.now() - started);
      committed += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: producers }, (_, i) => producer(i)));
  const elapsed = (performance.now() - started) / 1000;
  await buffer.close();
  rmSync(folder, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return { recordsPerSecond: committed / elapsed, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

/** The naive peer: one INSERT and one commit per record. */
function measurePerRecordCommit(synchronous: 'full' | 'normal'): number {
  const folder = mkdtempSync(join(tmpdir(), 'fleetwire-bench-'));
  const db = new Database(join(folder, 'peer.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  db.exec('CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, payload TEXT)');
  const insert = db.prepare('INSERT OR IGNORE INTO records (id, payload) VALUES (?, ?)');
  let n = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    const record = telemetryRecord(n++);
    insert.run(record.id, JSON.stringify(record));
  }
  const rate = n / ((performance.now() - started) / 1000);
  db.close();
  rmSync(folder, { recursive: true, force: true });
  return rate;
}

const intervals = [0, 2, 5, 20];
console.log(`# buffer durability: ${producers} producers, ${seconds}s per cell, node ${process.version}`);
console.log('synchronous | interval ms | records/s committed | p50 ms | p99 ms | × per-record commit');
for (const synchronous of ['full', 'normal'] as const) {
  const peer = measurePerRecordCommit(synchronous);
  for (const interval of intervals) {
    const cell = await measureBuffer(synchronous, interval);
    console.log(
      `${synchronous.padEnd(11)} | ${String(interval).padStart(11)} | ${cell.recordsPerSecond.toFixed(0).padStart(19)} | ${cell.p50Ms.toFixed(1).padStart(6)} | ${cell.p99Ms.toFixed(1).padStart(6)} | ${(cell.recordsPerSecond / peer).toFixed(1)}`,
    );
  }
  console.log(`${synchronous.padEnd(11)} | peer: one commit per record: ${peer.toFixed(0)} records/s`);
}
