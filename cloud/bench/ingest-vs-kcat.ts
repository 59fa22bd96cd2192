/**
 * Ingest → Kafka vs kcat producing the same records straight to Kafka: the cloud half of the
 * target "edge → cloud → Kafka vs kcat, ratio ≥ 0.5" (docs/architecture.md, "Targets"). No edge agent runs here (no
 * MQTT intake, SQLite buffer or uplink): simulated edge nodes POST ready-made edge batches, so
 * the figure is the ceiling the cloud puts on the end-to-end path, not that path itself.
 *
 *   npx tsx cloud/bench/ingest-vs-kcat.ts [--records 100000] [--rounds 3] [--nodes 8] [--devices 1000]
 *     [--batch 500] [--warmup 20000] [--kcat /usr/bin/kcat] [--port 29192] [--cpu-profile file.cpuprofile]
 *     [--processes 1] [--senders-apart] [--with-services]
 *
 * Starts a private single-node Kafka (from @fleetwire/test-servers) and the cloud as an ingest
 * tier (Kafka bus, one inline node entry per simulated edge node with a fresh token; fleet,
 * analytics, maintenance and audit off — they consume the topics and run in their own process
 * in production): with `--processes 1` in this process (`startCloud`), with more as that many
 * processes behind one port (`http.processes`, node:cluster). `--with-services` runs the
 * services in the ingest process too (one process only), as a single-process install does.
 * Each round, alternating which goes first:
 * (a) ingest — N vehicle telemetry records, pre-encoded as edge batches (gzip NDJSON), POSTed by
 *     `--nodes` edge nodes each with one batch in flight, until every batch was answered 2xx;
 * (b) kcat — the same bus values with the same keys, from a file, `-P -K <tab> -l` with acks=all
 *     and the idempotent producer (and the Java murmur2 partitioner, as the bus uses), timed from
 *     spawn to exit;
 * and after each, the topic's offsets must have grown by exactly N. kcat writes no per-record
 * headers (it can only set the same headers on every message), so it carries slightly less.
 * With one process the edge senders share it (and its event loop) with the cloud: their bodies
 * are encoded before the clock starts, so what they cost during the run is the HTTP client only
 * — 11–15% of that process's CPU in profiles, which are not the cloud's. `--senders-apart` forks
 * the one cloud process as `--processes N` forks several, so the senders stay here.
 * The CPU figure is the cloud's: this process's (minus nothing: senders included) with one
 * process in it, the forked processes' (from /proc) otherwise.
 */
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { createServer, type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { Session } from 'node:inspector/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUS_TOPICS, toBusMessage, type VehicleTelemetryRecord } from '@fleetwire/protocol';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { resolveCloudConfig } from '../src/config.js';
import { issueToken } from '../src/ingest/auth/tokens.js';
import { startCloudProcesses } from '../src/cloud-processes.js';
import { createCloudLogger, startCloud, type RunningCloud } from '../src/main.js';
import { startBenchBroker } from '@fleetwire/test-servers';
import { edgeBatches, sendFleet, vehicleRecords, type BenchNode } from './ingest-bench-fleet.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    nodes: { type: 'string', default: '8' },
    devices: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '20000' },
    kcat: { type: 'string', default: '/usr/bin/kcat' },
    port: { type: 'string', default: '29192' },
    /** Writes a V8 CPU profile of the first round's ingest run (cloud and edge senders) to this file. */
    'cpu-profile': { type: 'string' },
    processes: { type: 'string', default: '1' },
    /** One process, but forked like several: its CPU leaves out the senders, as with --processes N. */
    'senders-apart': { type: 'boolean', default: false },
    'with-services': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`Usage: npx tsx cloud/bench/ingest-vs-kcat.ts [options]

Ingest → Kafka (edge batches POSTed to the cloud in this process, which produces them to Kafka)
vs kcat producing the same records straight to Kafka, on a private single-node Kafka
(@fleetwire/test-servers; never the shared test broker). Prints records/s and the ratio; not a test.

  --records N        records per round and side (default 100000)
  --rounds N         rounds, the order alternating (default 3)
  --nodes N          simulated edge nodes, one batch in flight each (default 8)
  --devices N        vehicles the records are spread over (default 1000)
  --batch N          records per edge batch (default 500, the uplink's default)
  --warmup N         untimed records each way first (default 20000)
  --kcat PATH        kcat binary (default /usr/bin/kcat; Debian package kcat)
  --port P           private broker's port; the controller takes P+1 (default 29192)
  --cpu-profile F    write a V8 CPU profile of round 1's ingest run to F (one process only)
  --processes N      ingest processes behind one port (http.processes; default 1)
  --senders-apart    with one process: run the cloud as a forked process, not in this one, so its
                     event loop and CPU figure leave out the senders (as with --processes N)
  (run through \`fleetwire bench ingest-vs-kcat\`, node gets the ingest tier's flags, INGEST_NODE_FLAGS)
  --with-services    also run fleet, analytics, maintenance and audit in the ingest process`);
  process.exit(0);
}
const RECORDS = Number(args.records);
const DEVICES = Number(args.devices);
const BATCH = Number(args.batch);
const PROCESSES = Number(args.processes);
/** The cloud runs in forked processes (node:cluster) and the senders stay here. */
const FORKED = PROCESSES > 1 || args['senders-apart'];
const WITH_SERVICES = args['with-services'];
if (WITH_SERVICES && PROCESSES > 1) throw new Error('--with-services needs --processes 1 (the services run once)');
if (FORKED && args['cpu-profile'] !== undefined) throw new Error('--cpu-profile profiles this process: not with --processes N or --senders-apart');
const PARTITIONS = 6;
const KCAT_TOPIC = 'bench.kcat.telemetry.vehicle';

async function topicTotal(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

/**
 * Runs `measure`, then checks that `topic` grew by at least `expected` records; returns the
 * seconds and the surplus. A surplus is re-sent records: a produce that outlived its timeout
 * (an overloaded machine) was answered 503, re-sent, and had landed after all — duplicates that
 * carry their ids (docs/cloud.md, "Duplicates, end to end"). Fewer would be a loss: that throws.
 */
async function timed(admin: Admin, topic: string, expected: number, measure: () => Promise<void>): Promise<{ seconds: number; surplus: number }> {
  const before = await topicTotal(admin, topic);
  const started = process.hrtime.bigint();
  await measure();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const grown = (await topicTotal(admin, topic)) - before;
  if (grown < expected) throw new Error(`${topic} grew by ${grown} records, expected ${expected}`);
  return { seconds, surplus: grown - expected };
}

function runKcat(brokerAddress: string, file: string): Promise<void> {
  const kcatArgs = [
    '-P', '-b', brokerAddress, '-t', KCAT_TOPIC, '-K', '\\t', '-l', file,
    '-X', 'acks=all', '-X', 'enable.idempotence=true', '-X', 'partitioner=murmur2_random',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(args.kcat, kcatArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${String(code)}: ${stderr.slice(0, 500)}`))));
  });
}

/** kcat's input: `key<TAB>value` per line; JSON escapes tabs and newlines, so neither occurs inside a value. */
function kcatInput(records: readonly VehicleTelemetryRecord[]): string {
  return records.map((record) => {
    const message = toBusMessage(record);
    return `${message.key}\t${message.value.toString('utf8')}\n`;
  }).join('');
}

/** Runs `work` under the V8 profiler when a file is given; the profile opens in Chrome DevTools. */
async function profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
  if (file === undefined) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * CPU seconds the cloud used so far: this process's (it and the senders) with the cloud in it,
 * the forked ingest processes' otherwise (user + system ticks from /proc, 100 per second on Linux).
 */
function cloudCpuSeconds(): number {
  if (!FORKED) {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1e6;
  }
  return Object.values(cluster.workers ?? {}).reduce((sum, worker) => {
    const fields = readFileSync(`/proc/${worker?.process.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return sum + (Number(fields[11]) + Number(fields[12])) / 100;
  }, 0);
}

/** Peak resident memory of the cloud in MiB: this process's with one process, the largest worker's with several. */
function cloudPeakRssMiB(): number {
  if (!FORKED) return process.resourceUsage().maxRSS / 1024;
  return Math.max(...Object.values(cluster.workers ?? {}).map((worker) => {
    const line = readFileSync(`/proc/${worker?.process.pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
  }));
}

/**
 * The V8 heap flags the cloud runs with: NODE_OPTIONS', then this process's with one process
 * (the bench runner passes the ingest tier's, INGEST_NODE_FLAGS), a worker's with several.
 */
function gcFlags(): string {
  const worker = Object.values(cluster.workers ?? {})[0];
  const commandLine = !FORKED || worker === undefined ? process.execArgv : readFileSync(`/proc/${worker.process.pid}/cmdline`, 'utf8').split('\0');
  // NODE_OPTIONS is inherited by the workers.
  const flags = [...(process.env.NODE_OPTIONS ?? '').split(' '), ...commandLine];
  return flags.filter((f) => f.startsWith('--max-')).join(' ') || 'none';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

const perSecond = (records: number, seconds: number): string => `${Math.round(records / seconds).toLocaleString('en')} records/s`;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const dir = mkdtempSync(join(tmpdir(), 'fw-ingest-bench-'));
const broker = await startBenchBroker(join(dir, 'servers'), Number(args.port));
const admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
let cloud: RunningCloud | undefined;
try {
  await admin.connect();
  const nodes: Array<BenchNode & { entry: ReturnType<typeof issueToken>['entry'] }> = Array.from({ length: Number(args.nodes) }, (_, i) => {
    const { token, entry } = issueToken(`bench-node-${i}`);
    return { id: `bench-node-${i}`, token, entry };
  });
  const services = { enabled: WITH_SERVICES };
  const config = resolveCloudConfig({
    dataDir: join(dir, 'cloud'),
    logLevel: 'warn',
    http: { host: '127.0.0.1', port: FORKED ? await freePort() : 0, processes: PROCESSES },
    bus: { kind: 'kafka', brokers: [broker.address] },
    auth: { nodes: nodes.map(({ id, entry }) => ({ id, devices: ['VH-*'], tokens: [entry] })) },
    fleet: services, analytics: services, maintenance: services, audit: services, returns: services, commands: services,
    // Throughput is measured here, not the rate limits (all senders share one address).
    rateLimits: { node: { perSecond: 0 }, source: { perSecond: 0 } },
  });
  cloud = FORKED ? await startCloudProcesses(config, createCloudLogger('warn')) : await startCloud(config);
  const cloudAddress = cloud.address;
  await admin.createTopics({
    topics: [BUS_TOPICS.vehicleTelemetry, KCAT_TOPIC].map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  const warmup = vehicleRecords(Number(args.warmup), DEVICES, 'warm');
  await sendFleet(cloudAddress, edgeBatches(warmup, nodes, BATCH));
  const warmFile = join(dir, 'warmup.txt');
  writeFileSync(warmFile, kcatInput(warmup));
  await runKcat(broker.address, warmFile);
  console.log(`${RECORDS.toLocaleString('en')} vehicle records per round, ${DEVICES} vehicles, ${nodes.length} edge nodes ` +
    `× 1 batch of ${BATCH} in flight, ${PARTITIONS} partitions; warm-up ${warmup.length.toLocaleString('en')} records each way; ` +
    `${PROCESSES} ingest process(es)${FORKED ? ' apart from the senders' : ' with the senders in it'}, services ${WITH_SERVICES ? 'in the ingest process' : 'off'}; node ${process.version}, V8 heap flags ${gcFlags()}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const ratios: number[] = [];
  for (let round = 0; round < Number(args.rounds); round++) {
    const records = vehicleRecords(RECORDS, DEVICES, `r${round}`);
    const batches = edgeBatches(records, nodes, BATCH);
    const file = join(dir, `round-${round}.txt`);
    writeFileSync(file, kcatInput(records));
    let retries = 0;
    let cpuSeconds = 0;
    const ingest = async (): Promise<{ seconds: number; surplus: number }> => timed(admin, BUS_TOPICS.vehicleTelemetry, RECORDS, async () => {
      const cpu = cloudCpuSeconds();
      const result = await profiled(round === 0 ? args['cpu-profile'] : undefined, () => sendFleet(cloudAddress, batches));
      cpuSeconds = cloudCpuSeconds() - cpu;
      if (result.accepted !== RECORDS) throw new Error(`ingest accepted ${result.accepted} of ${RECORDS}`);
      retries = result.retries;
    });
    const kcat = async (): Promise<{ seconds: number; surplus: number }> => timed(admin, KCAT_TOPIC, RECORDS, () => runKcat(broker.address, file));
    // Alternate the order so neither side always runs on the warmer (or busier) machine.
    let ingestRun: { seconds: number; surplus: number };
    let kcatRun: { seconds: number; surplus: number };
    if (round % 2 === 0) {
      ingestRun = await ingest();
      kcatRun = await kcat();
    } else {
      kcatRun = await kcat();
      ingestRun = await ingest();
    }
    const ingestSeconds = ingestRun.seconds;
    const kcatSeconds = kcatRun.seconds;
    const ratio = kcatSeconds / ingestSeconds;
    ratios.push(ratio);
    console.log(`round ${round + 1}: ingest ${perSecond(RECORDS, ingestSeconds)} (${ingestSeconds.toFixed(2)} s, ` +
      `cloud CPU ${cpuSeconds.toFixed(2)} s = ${Math.round((cpuSeconds * 1e6) / RECORDS)} µs/record, ${retries} re-sends), ` +
      `kcat ${perSecond(RECORDS, kcatSeconds)} (${kcatSeconds.toFixed(2)} s), ratio ${ratio.toFixed(2)}; ` +
      `topics grew by ${RECORDS} each${ingestRun.surplus + kcatRun.surplus > 0 ? ` plus re-sent duplicates: ingest ${ingestRun.surplus}, kcat ${kcatRun.surplus}` : ''}`);
  }
  console.log(`median ratio ingest/kcat ${median(ratios).toFixed(2)} (target ≥ 0.5); cloud peak RSS ${Math.round(cloudPeakRssMiB())} MiB` +
    `${FORKED ? ' (largest process)' : ' (senders included)'}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await cloud?.stop();
  await admin.disconnect().catch(() => undefined);
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
