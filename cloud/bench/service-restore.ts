/**
 * How long the fleet state service takes to be ready again after a restart, resumed from its
 * checkpoints, against a full replay of the same bus in the same run — at several history
 * lengths, to show the restart does not grow with the history.
 *
 *   npx tsx cloud/bench/service-restore.ts [--records 250000,500000,1000000] [--vehicles 10000] [--tail 5000]
 *
 * On a private embedded bus (its own folder, removed at the end). For each history length H, in
 * order: the bus is filled up to H vehicle readings (1 Hz per vehicle), the service (one stable
 * group) follows it until caught up and is stopped — its stop checkpoints every partition —,
 * `--tail` more readings arrive, and the service is started again: timed from start() until
 * /readyz would say ready with a lag of 0 (every partition restored and at its end), with the
 * records it applied (the replayed tail). At the last length a fresh group with no checkpoint
 * replays the whole bus the same way: the peer. Prints each restart, the full replay and the ratio,
 * each with the machine's 1-minute load average.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toBusMessage } from '@fleetwire/protocol';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Bus } from '../src/bus/bus.js';
import { createEmbeddedBus } from '../src/bus/embedded/index.js';
import { createFleetService, type FleetService } from '../src/services/fleet/index.js';
import { reading } from '../test/support/fleet-records.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '250000,500000,1000000' },
    vehicles: { type: 'string', default: '10000' },
    tail: { type: 'string', default: '5000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`Usage: fleetwire bench service-restore [options]

The fleet state service restarted from its checkpoints vs a full replay of the same bus, on a
private embedded bus. Prints time to ready and records replayed per history length, the full
replay at the last length and the ratio; not a test.

  --records A,B,C   history lengths, ascending (default 250000,500000,1000000)
  --vehicles N      vehicles sending (default 10000)
  --tail N          readings that arrive while the service is down, before each restart (default 5000)`);
  process.exit(0);
}
const LENGTHS = (args.records ?? '').split(',').map(Number);
const VEHICLES = Number(args.vehicles);
const TAIL = Number(args.tail);
if (LENGTHS.some((n) => !Number.isInteger(n) || n <= 0) || LENGTHS.some((n, i) => i > 0 && n <= (LENGTHS[i - 1] as number))) {
  console.error('--records: ascending positive integers, e.g. 250000,500000,1000000');
  process.exit(2);
}

const START = Date.UTC(2026, 0, 1);
const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
/** The machine's 1-minute load average: the figures only mean something next to it. */
const load = (): string => (loadavg()[0] as number).toFixed(1);
let produced = 0;

async function fill(bus: Bus, upTo: number): Promise<void> {
  const BATCH = 5000;
  let reported = produced;
  while (produced < upTo) {
    const count = Math.min(BATCH, upTo - produced);
    const messages = Array.from({ length: count }, (_, i) => {
      const n = produced + i;
      const vehicle = n % VEHICLES;
      return toBusMessage(reading(`VH-${vehicle}`, Math.floor(n / VEHICLES) + 1, START + Math.floor(n / VEHICLES) * 1000, { socPct: 20 + (n % 80) }));
    });
    await bus.produce(messages);
    produced += count;
    if (produced - reported >= 100_000 || produced === upTo) {
      log(`bus filled to ${produced.toLocaleString('en')} records`);
      reported = produced;
    }
  }
}

const applied = async (metrics: Registry): Promise<number> =>
  (await metrics.getSingleMetric('fleetwire_service_records_applied_total')?.get())?.values.find((v) => v.labels.service === 'fleet')?.value ?? 0;

/** Starts a fleet service and waits until it is ready with no lag; returns it with the time that took and the records it applied. */
async function untilReady(bus: Bus, groupId: string, what: string): Promise<{ service: FleetService; ms: number; applied: number }> {
  const metrics = new Registry();
  const service = createFleetService({
    bus, metrics, logger: pino({ level: 'silent' }), groupId, readyMaxLag: 0, checkpointIntervalMs: 10_000, checkpointRecords: 200_000,
  });
  const began = performance.now();
  await service.start();
  let lastReport = began;
  while (!(await service.ready())) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (performance.now() - lastReport > 5000) {
      log(`${what}: ${(await applied(metrics)).toLocaleString('en')} records applied so far`);
      lastReport = performance.now();
    }
  }
  return { service, ms: performance.now() - began, applied: await applied(metrics) };
}

const dir = mkdtempSync(join(tmpdir(), 'fw-bench-restore-'));
const bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite') });
try {
  await bus.prepare(['fleetwire.telemetry.vehicle', 'fleetwire.telemetry.charger', 'fleetwire.events', 'fleetwire.dlq', 'fleetwire.checkpoints']);
  const rows: Array<{ history: number; ms: number; applied: number; load: string }> = [];
  for (const length of LENGTHS) {
    await fill(bus, length);
    const live = await untilReady(bus, 'bench-fleet', `following the bus to ${length.toLocaleString('en')}`);
    await live.service.stop();
    await fill(bus, produced + TAIL);
    const restart = await untilReady(bus, 'bench-fleet', 'restart');
    await restart.service.stop();
    rows.push({ history: produced, ms: restart.ms, applied: restart.applied, load: load() });
    log(`restart at ${produced.toLocaleString('en')} records: ready in ${restart.ms.toFixed(0)} ms, ${restart.applied.toLocaleString('en')} records replayed (load ${load()})`);
  }
  const full = await untilReady(bus, `bench-fleet-full-${Date.now()}`, 'full replay');
  await full.service.stop();
  log(`full replay of ${produced.toLocaleString('en')} records: ready in ${full.ms.toFixed(0)} ms, ${full.applied.toLocaleString('en')} records applied (load ${load()})`);
  console.log('\nhistory (records)  restart ready (ms)  replayed (records)  load (1 min)');
  for (const row of rows) console.log(`${row.history.toLocaleString('en').padStart(17)}  ${row.ms.toFixed(0).padStart(18)}  ${row.applied.toLocaleString('en').padStart(18)}  ${row.load.padStart(12)}`);
  const last = rows.at(-1) as (typeof rows)[number];
  console.log(`full replay of ${produced.toLocaleString('en')}: ${full.ms.toFixed(0)} ms (load ${load()}); restart / full replay = ${(last.ms / full.ms).toFixed(3)}×`);
} finally {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
}
