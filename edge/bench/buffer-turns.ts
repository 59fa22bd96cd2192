/**
 * How long the SQLite buffer holds the event loop at a fleet's rate (not a test): `--rate`
 * telemetry records a second (default 10,000, one `append` per message as intake does, from
 * `--devices` vehicles) for `--seconds`, while an uplink loop takes batches of `--batch`, waits
 * `--round-trip-ms` (the cloud's answer) and acknowledges them. Every synchronous step of the
 * buffer is timed — each SQLite transaction (found by wrapping better-sqlite3's `transaction`)
 * named by its caller (group commit, ids prune, acknowledge, relief), and the public calls
 * `takeBatch`, `acknowledge` and `stats` — and so are garbage collections and the event loop's
 * delay. Prints, per cause, the count, p50 / p99 / max and how many steps took more than 20 and
 * 50 ms. A group commit followed by a WAL restart is counted apart (the WAL's checkpoint
 * sequence, in its header, moves at the first write after a complete checkpoint): without the
 * checkpoint worker that commit ran SQLite's automatic checkpoint in its COMMIT; with it, the
 * worker had just checkpointed. `--checkpoint-worker-rate` sets the buffer's
 * `checkpointWorkerRate` (0: no worker, the checkpoints run in the COMMITs).
 *
 *   node --import tsx edge/bench/buffer-turns.ts [--rate 10000] [--seconds 30] [--devices 10000]
 *     [--batch 500] [--round-trip-ms 10] [--checkpoint-worker-rate <records/s>] [--wal-autocheckpoint <pages>]
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createSqliteBuffer } from '../src/buffer/sqlite/index.js';
import { telemetryRecord } from '../test/support/telemetry-records.js';
import { benchOptions } from './bench-options.js';

const USAGE = 'node --import tsx edge/bench/buffer-turns.ts [--rate 10000] [--seconds 30] [--devices 10000] [--batch 500] [--round-trip-ms 10] [--checkpoint-worker-rate <records/s>] [--wal-autocheckpoint <pages>]';
const values = benchOptions(USAGE, { rate: '10000', seconds: '30', devices: '10000', batch: '500', 'round-trip-ms': '10', 'wal-autocheckpoint': '', 'checkpoint-worker-rate': '' });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const DEVICES = Number(values.devices);
const BATCH = Number(values.batch);
const ROUND_TRIP_MS = Number(values['round-trip-ms']);
const TICK_MS = 2;

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
/** Per cause: wall ms and CPU ms of each step (CPU: the process's, which a busy machine does not stretch). */
const durations = new Map<string, Array<[number, number]>>();
const note = (cause: string, ms: number, cpuMs = NaN): void => {
  const list = durations.get(cause);
  if (list === undefined) durations.set(cause, [[ms, cpuMs]]);
  else list.push([ms, cpuMs]);
};
const cpuMs = (): number => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

const folder = mkdtempSync(join(tmpdir(), 'fleetwire-turns-'));
const path = join(folder, 'buffer.db');
const walHeader = Buffer.alloc(16);
let wal: number | undefined;
/** The WAL header's checkpoint sequence: it moves each time the WAL restarts after a complete checkpoint. */
const checkpointSequence = (): number => {
  wal ??= openSync(`${path}-wal`, 'r');
  readSync(wal, walHeader, 0, 16, 0);
  return walHeader.readUInt32BE(12);
};

// Every transaction the buffer runs, timed and named by the buffer function that opened it.
const CALLERS: Array<[RegExp, string]> = [
  [/GroupCommit\.#commit|group-commit\.ts/, 'group commit'],
  [/DedupeIndex\.prune|dedupe-index\.ts/, 'ids prune'],
  [/RecordQueue\.acknowledge|queue\.ts/, 'acknowledge delete'],
  [/relief\.ts/, 'relief / expiry'],
];
let lastCommit: { ms: number; cpu: number; sequence: number } | undefined;
const transaction = Database.prototype.transaction;
Database.prototype.transaction = function timed<F extends (...args: never[]) => unknown>(this: Database.Database, fn: F) {
  if (values['wal-autocheckpoint'] !== '') this.pragma(`wal_autocheckpoint = ${Number(values['wal-autocheckpoint'])}`);
  const run = transaction.call(this, fn) as unknown as (...args: Parameters<F>) => ReturnType<F>;
  return ((...args: Parameters<F>) => {
    const started = performance.now();
    const cpuStarted = cpuMs();
    try {
      return run(...args);
    } finally {
      const ms = performance.now() - started;
      const cpu = cpuMs() - cpuStarted;
      const stack = new Error().stack ?? '';
      const cause = CALLERS.find(([pattern]) => pattern.test(stack))?.[1] ?? 'other transaction';
      const sequence = checkpointSequence();
      // The commit before a WAL restart is the one whose COMMIT ran the automatic checkpoint.
      if (lastCommit !== undefined) note(sequence !== lastCommit.sequence ? 'group commit, then WAL restart' : 'group commit', lastCommit.ms, lastCommit.cpu);
      lastCommit = undefined;
      if (cause === 'group commit') lastCommit = { ms, cpu, sequence };
      else note(cause, ms, cpu);
    }
  }) as unknown as Database.Transaction<F>;
} as typeof Database.prototype.transaction;

const workerRate = values['checkpoint-worker-rate'];
const buffer = createSqliteBuffer({ path, maxBytes: 2 ** 40, minFreeDiskBytes: 0, ...(workerRate === '' ? {} : { checkpointWorkerRate: Number(workerRate) }) });
const timed = <T>(cause: string, call: () => T): T => {
  const started = performance.now();
  const cpuStarted = cpuMs();
  try {
    return call();
  } finally {
    note(cause, performance.now() - started, cpuMs() - cpuStarted);
  }
};

const gc = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    note(kind === 1 ? 'GC scavenge' : kind === 4 ? 'GC mark-compact' : 'GC other', entry.duration);
  }
});
gc.observe({ entryTypes: ['gc'] });
const delay = monitorEventLoopDelay({ resolution: 5 });

console.log(`# buffer turns: ${RATE} records/s from ${DEVICES} vehicles for ${SECONDS} s, uplink batches of ${BATCH} with ${ROUND_TRIP_MS} ms round trips; node ${process.version}, load ${load()}`);
let running = true;
let acknowledged = 0;
const uplink = (async () => {
  while (running) {
    const batch = timed('takeBatch', () => buffer.takeBatch({ maxRecords: BATCH, maxBytes: 512 * 1024 }));
    if (batch === undefined) {
      await sleep(100);
      continue;
    }
    await sleep(ROUND_TRIP_MS);
    timed('acknowledge (whole call)', () => buffer.acknowledge(batch));
    acknowledged += batch.serialized?.length ?? 0;
  }
})();
const scrapes = setInterval(() => timed('stats', () => buffer.stats()), 1000);

delay.enable();
const started = performance.now();
const total = RATE * SECONDS;
let next = 0;
let committed = 0;
let failed = 0;
const commitLatencies: number[] = [];
await new Promise<void>((done) => {
  const tick = setInterval(() => {
    const now = performance.now();
    while (next < total && started + (next * 1000) / RATE <= now) {
      const at = performance.now();
      const device = next % DEVICES;
      buffer.append([telemetryRecord(Math.floor(next / DEVICES), { deviceId: `VH-${device}` })]).then(
        () => {
          commitLatencies.push(performance.now() - at);
          committed += 1;
        },
        () => {
          failed += 1;
        },
      );
      next += 1;
    }
    if (next === total) {
      clearInterval(tick);
      done();
    }
  }, TICK_MS);
});
await buffer.append([]);
while (committed + failed < total) await sleep(10);
delay.disable();
running = false;
clearInterval(scrapes);
await uplink;
const seconds = (performance.now() - started) / 1000;
if (lastCommit !== undefined) note('group commit', lastCommit.ms, lastCommit.cpu);
gc.disconnect();
await buffer.close();
if (wal !== undefined) closeSync(wal);
rmSync(folder, { recursive: true, force: true });

const pick = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
commitLatencies.sort((a, b) => a - b);
console.log(`${committed} committed in ${seconds.toFixed(1)} s (${failed} failed), append → commit p50 ${pick(commitLatencies, 0.5).toFixed(1)} ms, p99 ${pick(commitLatencies, 0.99).toFixed(1)} ms, max ${(commitLatencies.at(-1) ?? NaN).toFixed(0)} ms; ${acknowledged} acknowledged`);
console.log(`event-loop delay p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(0)} ms`);
console.log(`${'step'.padEnd(30)} ${'count'.padStart(6)} | wall ms: ${'p50'.padStart(6)} ${'p99'.padStart(6)} ${'max'.padStart(6)} ${'>20'.padStart(4)} ${'>50'.padStart(4)} | CPU ms: ${'p50'.padStart(6)} ${'p99'.padStart(6)} ${'max'.padStart(6)} ${'>20'.padStart(4)} | total s`);
for (const [cause, list] of [...durations].sort((a, b) => a[0].localeCompare(b[0]))) {
  const wall = list.map(([ms]) => ms).sort((a, b) => a - b);
  const cpu = list.map(([, ms]) => ms).sort((a, b) => a - b);
  const over = (sorted: number[], ms: number): number => sorted.filter((d) => d > ms).length;
  const f = (ms: number): string => (Number.isNaN(ms) ? '-' : ms.toFixed(1)).padStart(6);
  console.log(`${cause.padEnd(30)} ${String(list.length).padStart(6)} | wall ms: ${f(pick(wall, 0.5))} ${f(pick(wall, 0.99))} ${f(wall.at(-1) ?? NaN)} ${String(over(wall, 20)).padStart(4)} ${String(over(wall, 50)).padStart(4)} | CPU ms: ${f(pick(cpu, 0.5))} ${f(pick(cpu, 0.99))} ${f(cpu.at(-1) ?? NaN)} ${String(over(cpu, 20)).padStart(4)} | ${(wall.reduce((a, b) => a + b, 0) / 1000).toFixed(2)}`);
}
console.log(`load ${load()}`);
