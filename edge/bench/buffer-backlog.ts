/**
 * Memory and drain rate of the SQLite buffer with a large backlog: fills to `total` records
 * (default 1,000,000) from 1,000 simulated vehicles, printing RSS at 0 / 100k / 500k / 1M, then
 * drains through takeBatch + acknowledge (the uplink's path, minus HTTP: the stored JSON is
 * forwarded, never parsed) and prints the drain rate against the append rate measured in the
 * same run (target: drain ≥ 3× intake). `inflight` > 1 keeps that many batches taken before the
 * oldest is acknowledged, as `concurrency` uplink workers do. Next to each wall-clock rate it
 * prints the process CPU time per record, which a busy shared machine disturbs much less, and
 * the load average before and after. `--cache-bytes` sets SQLite's page cache (`cacheBytes`,
 * default the buffer's own), which holds the id index and the pages the drain reads.
 *
 *   node --expose-gc --import tsx edge/bench/buffer-backlog.ts [--records 1000000] [--batch 500] [--inflight 1] [--cache-bytes <n>]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutgoingBatch } from '../src/buffer/buffer.js';
import { createSqliteBuffer } from '../src/buffer/sqlite/index.js';
import { telemetryRecord } from '../test/support/telemetry-records.js';
import { benchOptions } from './bench-options.js';

const values = benchOptions(
  'node --expose-gc --import tsx edge/bench/buffer-backlog.ts [--records 1000000] [--batch 500] [--inflight 1] [--cache-bytes <n>]',
  { records: '1000000', batch: '500', inflight: '1', 'cache-bytes': '' },
);
const total = Number(values.records);
const batchSize = Number(values.batch);
const inflight = Number(values.inflight);
const checkpoints = new Set([100_000, 500_000, 1_000_000, total]);
const appendChunk = 1000;
const concurrentAppends = 4;

const folder = mkdtempSync(join(tmpdir(), 'fleetwire-backlog-'));
const path = join(folder, 'buffer.db');
const cacheBytes = values['cache-bytes'];
const buffer = createSqliteBuffer({ path, maxBytes: 2 ** 40, minFreeDiskBytes: 0, liveWindowMs: 0, ...(cacheBytes === '' ? {} : { cacheBytes: Number(cacheBytes) }) });
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const rss = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
};
const report = (phase: string, records: number) =>
  console.log(`${phase.padEnd(6)} ${String(records).padStart(9)} records  rss ${mb(rss()).padStart(7)} MB  db ${mb(statSync(path).size).padStart(7)} MB`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
/** CPU time (user + system) of this process, in µs. */
const cpu = () => {
  const used = process.cpuUsage();
  return used.user + used.system;
};

console.log(`# buffer backlog: ${total} records, batches of ${batchSize}, ${inflight} in flight, SQLite cache ${cacheBytes === '' ? 'default' : `${cacheBytes} B`}, node ${process.version}, load ${load()}`);
report('fill', 0);
let appended = 0;
const fillStarted = performance.now();
const fillCpu = cpu();
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
const appendCpu = (cpu() - fillCpu) / total;
console.log(`append: ${appendRate.toFixed(0)} records/s committed (synchronous=full, groups of ${appendChunk}), cpu ${appendCpu.toFixed(1)} µs/record`);

let drained = 0;
const drainStarted = performance.now();
const drainCpu = cpu();
const limits = { maxRecords: batchSize, maxBytes: 1 << 24 };
const taken: OutgoingBatch[] = [];
for (;;) {
  while (taken.length < inflight) {
    const batch = buffer.takeBatch(limits);
    if (batch === undefined) break;
    taken.push(batch);
  }
  const batch = taken.shift();
  if (batch === undefined) break;
  buffer.acknowledge(batch);
  const before = drained;
  drained += batch.serialized?.length ?? batch.records.length;
  for (const mark of [total / 2]) if (before < mark && drained >= mark) report('drain', total - drained);
}
const drainRate = drained / ((performance.now() - drainStarted) / 1000);
const drainCpuPerRecord = (cpu() - drainCpu) / drained;
report('drain', buffer.stats().records);
console.log(
  `drain: ${drainRate.toFixed(0)} records/s (takeBatch + acknowledge), ${(drainRate / appendRate).toFixed(1)}× the append rate; ` +
    `cpu ${drainCpuPerRecord.toFixed(1)} µs/record (${(appendCpu / drainCpuPerRecord).toFixed(1)}× the append's cpu rate)`,
);
console.log(`# load ${load()}`);
await buffer.close();
rmSync(folder, { recursive: true, force: true });
