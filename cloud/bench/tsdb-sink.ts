/**
 * The time-series sink's throughput against a bare @influxdata/influxdb-client write of the same
 * points, on the same TSDB in the same run.
 *
 *   npx tsx cloud/bench/tsdb-sink.ts [--records 100000] [--port 28428 | --url http://host:8428]
 *
 * Without --url it starts a private VictoriaMetrics (from @fleetwire/test-servers: the test server's flags, its
 * own folder and port) and stops it at the end, so the shared test server is neither loaded nor
 * filled with bench series.
 *
 * bare: line protocol formatted beforehand, written in batches of 500, one write in flight.
 * sink: the records sit on an embedded bus first; timed from start() until every point is
 *       acknowledged — bus reads, decoding and validation, de-duplication, mapping, formatting,
 *       writes and offset commits included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InfluxDB } from '@influxdata/influxdb-client';
import { formatLineProtocol, toPoints, type FleetRecord } from '@fleetwire/protocol';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createEmbeddedBus } from '../src/bus/embedded/index.js';
import { createTsdbSink } from '../src/sinks/tsdb/index.js';
import { onTopic, vehicleSample } from '../test/support/tsdb-records.js';
import { startBenchVictoriaMetrics, type BenchServer } from '@fleetwire/test-servers';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    url: { type: 'string' },
    port: { type: 'string', default: '28428' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`Usage: npx tsx cloud/bench/tsdb-sink.ts [options]

The time-series sink (embedded bus → decode, dedupe, map, format → InfluxDB v2 write API) vs a
bare @influxdata/influxdb-client write of the same points, pre-formatted. Prints points/s and
the ratio; not a test.

  --records N   points per side (default 100000)
  --port P      port of the private VictoriaMetrics this starts (default 28428)
  --url URL     use this InfluxDB v2 write API instead of starting a private VictoriaMetrics`);
  process.exit(0);
}
const RECORDS = Number(args.records);
const BATCH = 500;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function records(run: string): FleetRecord[] {
  const start = Date.now() - 3600_000;
  return Array.from({ length: RECORDS }, (_, n) => vehicleSample(`VH-${run}-${n % 1000}`, n, start + n));
}

async function bare(run: string): Promise<number> {
  const bodies: string[] = [];
  const all = records(run);
  for (let i = 0; i < all.length; i += BATCH) bodies.push(formatLineProtocol(all.slice(i, i + BATCH).flatMap(toPoints)));
  const client = new InfluxDB({ url, token: '' });
  const started = performance.now();
  for (const body of bodies) {
    const api = client.getWriteApi('fleet', 'telemetry', 'ms', { flushInterval: 0, maxRetries: 0, gzipThreshold: 64 * 1024 });
    api.writeRecord(body);
    await api.close();
  }
  return RECORDS / ((performance.now() - started) / 1000);
}

async function sink(run: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-tsdb-bench-'));
  const bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), maxBatchMessages: BATCH });
  try {
    const all = records(run);
    for (let i = 0; i < all.length; i += 5000) await bus.produce(all.slice(i, i + 5000).map((r) => onTopic('telemetry', r)));
    const metrics = new Registry();
    const tsdbSink = createTsdbSink({
      bus, url, org: 'fleet', bucket: 'telemetry', token: '', metrics, logger: pino({ level: 'warn' }), topics: ['telemetry'],
    });
    const written = async () => (await metrics.getSingleMetric('fleetwire_tsdb_points_written_total')?.get())?.values[0]?.value ?? 0;
    const started = performance.now();
    await tsdbSink.start();
    while ((await written()) < RECORDS) await sleep(5);
    const seconds = (performance.now() - started) / 1000;
    await tsdbSink.stop();
    return RECORDS / seconds;
  } finally {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const serversDir = args.url === undefined ? mkdtempSync(join(tmpdir(), 'fw-tsdb-bench-servers-')) : undefined;
const server = serversDir === undefined ? undefined : await startBenchVictoriaMetrics(serversDir, Number(args.port));
const url = args.url ?? (server as BenchServer).address;
try {
  const stamp = Date.now().toString(36);
  await bare(`warm${stamp}`);
  const barePerSecond = await bare(`bare${stamp}`);
  const sinkPerSecond = await sink(`sink${stamp}`);
  console.log(`${RECORDS.toLocaleString('en')} points each, ${url}${server === undefined ? '' : ' (private VictoriaMetrics)'}`);
  console.log(`bare influxdb-client write: ${Math.round(barePerSecond).toLocaleString('en')} points/s`);
  console.log(`tsdb sink (embedded bus):   ${Math.round(sinkPerSecond).toLocaleString('en')} points/s`);
  console.log(`ratio sink / bare:          ${(sinkPerSecond / barePerSecond).toFixed(2)}`);
} finally {
  await server?.stop();
  if (serversDir !== undefined) rmSync(serversDir, { recursive: true, force: true });
}
