/**
 * Memory and drain rate of the SQLite buffer with a large backlog: fills to `total` records
 * (default 1,000,000) from 1,000 simulated vehicles, printing RSS at 0 / 100k / 500k / 1M, then
 * drains through takeBatch + acknowledge (the uplink's path, minus HTTP) and prints the drain
 * rate against the append rate measured in the same run (target: drain ≥ 3× intake).
 *
 *   node --expose-gc --import tsx edge/bench/buffer-backlog.ts [total = 1000000] [batch = 500]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteBuffer } from '../src/buffer/sqlite/index.js';
import { telemetryRecord } from '../src/buffer/test-records.js';

const total = Number(process.argv[2] ?? 1_000_000);
const batchSize = Number(process.argv[3] ?? 500);
const checkpoints = new Set([100_000, 500_000, 1_000_000, total]);
const appendChunk = 1000;
const concurrentAppends = 4;

const folder = mkdtempSync(join(tmpdir(), 'fleetwire-backlog-'));
const path = join(folder, 'buffer.db');
const buffer = createSqliteBuffer({ path, maxBytes: 2 ** 40, minFreeDiskBytes: 0, liveWindowMs: 0 });
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const rss = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
};
const report = (phase: string, records: number) =>
  console.log(`${phase.padEnd(6)} ${String(records).padStart(9)} records  rss ${mb(rss()).padStart(7)} MB  db ${mb(statSync(path).size).padStart(7)} MB`);

console.log(`# buffer backlog: ${total} records, batches of ${batchSize}, node ${process.version}`);
report('fill', 0);
let appended = 0;
const fillStarted = performance.now();
const appender = async (): Promise<void> => {
  while (appended < total) {
    const from = appended;
    const n = Math.min(appendChunk, total - from);
    appended += n;
    await buffer.append(Array.from({ length: n }, (_, i) => telemetryRecord(from + i, { deviceId: `VH-${(from + i) % 1000}` })));
    const done = from + n;
    for (const mark of checkpoints) if (from < mark && done >= mark) report('fill', mark);
  }
};
await Promise.all(Array.from({ length: concurrentAppends }, appender));
const appendRate = total / ((performance.now() - fillStarted) / 1000);
console.log(`append: ${appendRate.toFixed(0)} records/s committed (synchronous=full, groups of ${appendChunk})`);

let drained = 0;
const drainStarted = performance.now();
for (let batch = buffer.takeBatch({ maxRecords: batchSize, maxBytes: 1 << 24 }); batch; batch = buffer.takeBatch({ maxRecords: batchSize, maxBytes: 1 << 24 })) {
  buffer.acknowledge(batch);
  const before = drained;
  drained += batch.records.length;
  for (const mark of [total / 2]) if (before < mark && drained >= mark) report('drain', total - drained);
}
const drainRate = drained / ((performance.now() - drainStarted) / 1000);
report('drain', buffer.stats().records);
console.log(`drain: ${drainRate.toFixed(0)} records/s (takeBatch + acknowledge), ${(drainRate / appendRate).toFixed(1)}× the append rate`);
await buffer.close();
rmSync(folder, { recursive: true, force: true });
