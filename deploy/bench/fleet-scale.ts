/**
 * Many vehicles on one box (not a test): `--vehicles` simulated vehicles (default 10,000) connect
 * over MQTT and each publishes one QoS 1 reading per second for `--seconds`, first against the
 * edge agent (durable: PUBACK after the SQLite commit; its uplink sends to a cloud ingest with the
 * embedded bus, in its own process), then against Mosquitto relaying to one QoS 1 subscriber, with
 * the same clients and schedule. Prints, for each, the sustained acknowledged rate, p50/p99
 * publish → PUBACK, resident memory and CPU, and for the agent whether its backlog to the cloud
 * drained after the load (no growing lag).
 *
 *   node --import tsx deploy/bench/fleet-scale.ts [--vehicles 10000] [--seconds 60]
 *     [--connects-per-second 500] [--drain-seconds 120] [--release <folder>] [--skip-mosquitto]
 *
 * The documented run is `--seconds 300`. One load generator process drives every client: each
 * vehicle has its own slot within the second (spread evenly), and a 5 ms tick publishes for the
 * slots that came due, so the schedule does not need 10,000 timers. When the generator itself
 * cannot keep the schedule (its CPU is printed), the sent rate falls short of the target and the
 * run says so: on a small machine the generator, the agent and the cloud share the same cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { issueToken } from '@fleetwire/cloud';
import { hashPassword } from '@fleetwire/edge';
import { AGENT_ENTRY, spawnMosquitto, startAgentProcess } from '@fleetwire/edge/testing';

const USAGE = `Usage: node --import tsx deploy/bench/fleet-scale.ts [options]

N vehicles publishing QoS 1 at 1 Hz against the edge agent (uplink to a cloud in its own
process) and against Mosquitto with the same clients; prints rate, p50/p99 publish → PUBACK,
RSS and CPU of each, and whether the agent's backlog to the cloud drained. Not a test.

  --vehicles N              simulated vehicles (default 10000)
  --seconds N, --duration N seconds of load per side (default 60; the documented run: 300)
  --connects-per-second N   connection ramp (default 500)
  --drain-seconds N         how long the agent's backlog may take to drain after the load (default 120)
  --release F               run the agent from an unpacked release folder on plain node
  --node-flags='<flags>'    node flags for the agent's process, e.g. --node-flags='--cpu-prof --cpu-prof-dir=/tmp/p'
                            (on tsx or with --release)
  --skip-mosquitto          the agent only`;

const { values: args } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '60' },
    duration: { type: 'string' },
    'connects-per-second': { type: 'string', default: '500' },
    'drain-seconds': { type: 'string', default: '120' },
    release: { type: 'string', default: '' },
    'node-flags': { type: 'string', default: '' },
    'skip-mosquitto': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const VEHICLES = Number(args.vehicles);
const SECONDS = Number(args.duration ?? args.seconds);
const CONNECTS_PER_SECOND = Number(args['connects-per-second']);
const DRAIN_SECONDS = Number(args['drain-seconds']);
const NODE_FLAGS = (args['node-flags'] ?? '').split(' ').filter((flag) => flag !== '');
for (const [name, value] of Object.entries({ VEHICLES, SECONDS, CONNECTS_PER_SECOND, DRAIN_SECONDS })) {
  if (!(value > 0)) {
    console.error(`${name.toLowerCase()} must be a positive number\n\n${USAGE}`);
    process.exit(2);
  }
}
const ROOT = resolve(import.meta.dirname, '../..');
const PASSWORD = 'bench-scale';
const NODE_ID = 'bench-scale';
const TICK_MS = 5;
const CONNECTS_IN_FLIGHT = 64;
/** How long after the last publish the run waits for outstanding PUBACKs. */
const ACK_GRACE_MS = 30_000;
const ids = Array.from({ length: VEHICLES }, (_, i) => `VH-S${String(i).padStart(5, '0')}`);

function reading(deviceId: string, epoch: string, seq: number): Buffer {
  return Buffer.from(JSON.stringify({
    v: 1, ts: Date.now(), epoch, seq, deviceId,
    position: { lat: 52.52 + seq * 1e-5, lon: 13.405 }, speedKph: 30, headingDeg: 90, odometerKm: 10_000 + seq * 0.01,
    socPct: 70, battery: { tempC: 24, voltageV: 398, currentA: -20 }, aux12vV: 12.6, locked: false, ignition: true,
  }));
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.once('error', reject);
  });
}

/** Resident memory (MB) and CPU seconds so far of a process, from /proc. */
function processFigures(pid: number): { rssMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { rssMb: rssKb / 1024, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const quantile = (sorted: Float64Array, q: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

/** The cloud ingest with the embedded bus, as its own process, serving only this node. */
async function startCloudProcess(dir: string, token: ReturnType<typeof issueToken>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const off = { enabled: false };
  const configFile = join(dir, 'cloud.json');
  writeFileSync(configFile, JSON.stringify({
    dataDir: join(dir, 'cloud'), logLevel: 'warn', http: { host: '127.0.0.1', port }, bus: { kind: 'embedded' },
    auth: { nodes: [{ id: NODE_ID, devices: ['VH-*'], tokens: [token.entry] }] },
    fleet: off, analytics: off, maintenance: off, audit: off, businessEvents: off,
  }));
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'deploy/src/cli/main.ts'), 'cloud', 'serve', '--config', configFile], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a busy machine compiling and starting the cloud under tsx takes minutes.
  for (let attempt = 0; attempt < 3000; attempt++) {
    if (child.exitCode !== null) throw new Error(`cloud exited ${child.exitCode} before it listened`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return { url, child };
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new Error('cloud did not listen within 300 s');
}

/** What the agent's /metrics say about its backlog and about where a PUBACK's time goes. */
interface AgentMetrics {
  /** Records not yet acknowledged by the cloud. */
  backlog: number;
  /** Seconds spent in garbage collection since start, all kinds. */
  gcSeconds: number;
  /** Longest event-loop delay since the previous scrape (prom-client resets it at each). */
  lagMaxSeconds: number;
  /** Receipt → commit histogram: cumulative count per upper bound in seconds, and the total. */
  commitBuckets: Array<[number, number]>;
  commits: number;
}

/**
 * The agent's /metrics; undefined when the agent did not answer (an agent flooded past what it
 * can take answers its operator port late or drops the connection, and one missed reading must
 * not end a 10-minute run).
 */
async function agentMetrics(httpAddress: string): Promise<AgentMetrics | undefined> {
  try {
    const text = await (await fetch(`${httpAddress}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
    const lines = text.split('\n');
    const sum = (prefix: string): number => lines.filter((line) => line.startsWith(prefix)).reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);
    const commitBuckets = lines
      .map((line) => /^fleetwire_intake_commit_latency_seconds_bucket\{le="([^"]+)"\} (\S+)$/.exec(line))
      .filter((match) => match !== null && match[1] !== '+Inf')
      .map((match) => [Number(match![1]), Number(match![2])] as [number, number]);
    return {
      backlog: sum('fleetwire_buffer_backlog_records'),
      gcSeconds: sum('nodejs_gc_duration_seconds_sum'),
      lagMaxSeconds: sum('nodejs_eventloop_lag_max_seconds'),
      commitBuckets,
      commits: sum('fleetwire_intake_commit_latency_seconds_count'),
    };
  } catch {
    return undefined;
  }
}

async function agentBacklog(httpAddress: string): Promise<number | undefined> {
  return (await agentMetrics(httpAddress))?.backlog;
}

/**
 * The agent's side of the latency during the load, from two scrapes and the lag seen by the
 * progress scrapes: how much of its CPU went to GC, how long its event loop stood still, and
 * receipt → commit (the part of publish → PUBACK spent in the agent up to the fsync).
 */
function agentBreakdown(before: AgentMetrics, after: AgentMetrics, lagMaxSeconds: number, cpuSeconds: number): string {
  const gc = after.gcSeconds - before.gcSeconds;
  const commits = after.commits - before.commits;
  const within = (bound: number): number => {
    const count = (m: AgentMetrics): number => m.commitBuckets.find(([le]) => le === bound)?.[1] ?? NaN;
    return count(after) - count(before);
  };
  const p99Bound = after.commitBuckets.map(([le]) => le).find((le) => within(le) >= 0.99 * commits);
  return `GC ${gc.toFixed(1)} s (${((gc / cpuSeconds) * 100).toFixed(0)}% of its CPU time), event-loop delay max ${(lagMaxSeconds * 1000).toFixed(0)} ms (10 s scrapes), ` +
    `receipt → commit within 100 ms for ${((within(0.1) / commits) * 100).toFixed(1)}% of ${commits} messages, p99 ${p99Bound === undefined ? '> 2.5 s' : `≤ ${p99Bound * 1000} ms`}`;
}

/** Connects at CONNECTS_PER_SECOND with up to CONNECTS_IN_FLIGHT handshakes open, so the ramp is not bounded by one handshake's round trip. */
async function connectFleet(url: string, options: (id: string) => mqtt.IClientOptions, label: string): Promise<MqttClient[]> {
  const clients: MqttClient[] = new Array<MqttClient>(VEHICLES);
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  let connected = 0;
  for (const [i, id] of ids.entries()) {
    const due = started + (i * 1000) / CONNECTS_PER_SECOND;
    if (due > Date.now()) await sleep(due - Date.now());
    while (inFlight.size >= CONNECTS_IN_FLIGHT) await Promise.race(inFlight);
    const connecting: Promise<void> = mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 60_000, keepalive: 120, ...options(id) }).then((client) => {
      clients[i] = client;
      connected += 1;
      if (connected % 1000 === 0) console.log(`  ${label}: ${connected}/${VEHICLES} connected (${((Date.now() - started) / 1000).toFixed(0)} s); load ${load()}`);
    }).finally(() => inFlight.delete(connecting));
    inFlight.add(connecting);
  }
  await Promise.all(inFlight);
  return clients;
}

interface SideFigures {
  sent: number;
  acked: number;
  failed: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  rssConnected: number;
  rssPeak: number;
  cpuPercent: number;
  cpuSeconds: number;
  generatorCpuPercent: number;
}

/** Every vehicle publishes once a second in its own slot for SECONDS; the peer process (`pid`) is sampled each second. */
async function runLoad(url: string, pids: number[], options: (id: string) => mqtt.IClientOptions, label: string, progress?: () => Promise<string>, loadStarts?: () => Promise<void>): Promise<SideFigures> {
  const clients = await connectFleet(url, options, label);
  await loadStarts?.();
  const figures = () => pids.map(processFigures).reduce((a, b) => ({ rssMb: a.rssMb + b.rssMb, cpuSeconds: a.cpuSeconds + b.cpuSeconds }));
  const connected = figures();
  const epoch = `${label[0]}${Date.now().toString(36)}`;
  const latencies = new Float64Array(VEHICLES * SECONDS);
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let rssPeak = connected.rssMb;
  const generatorCpu = process.cpuUsage();
  const started = performance.now();
  const total = VEHICLES * SECONDS;
  let next = 0;
  let lastReport = started;
  await new Promise<void>((done) => {
    const settle = (): void => {
      if (acked + failed === total) done();
    };
    const tick = setInterval(() => {
      const now = performance.now();
      // Message k is vehicle k mod N's reading for second floor(k / N), due at started + k/N s.
      while (next < total && started + (next * 1000) / VEHICLES <= now) {
        const vehicle = next % VEHICLES;
        const seq = Math.floor(next / VEHICLES);
        const at = performance.now();
        clients[vehicle]?.publish(`fleetwire/v1/vehicle/${ids[vehicle]}/telemetry`, reading(ids[vehicle] as string, epoch, seq), { qos: 1 }, (error?: Error) => {
          if (error) failed += 1;
          else {
            latencies[acked] = performance.now() - at;
            acked += 1;
          }
          settle();
        });
        next += 1;
        sent += 1;
      }
      if (next === total) {
        clearInterval(tick);
        // A PUBACK that never comes (a dropped connection) must not hang the run: it counts as unacknowledged.
        setTimeout(done, ACK_GRACE_MS).unref();
      }
      if (now - lastReport >= 10_000) {
        lastReport = now;
        const sample = figures();
        rssPeak = Math.max(rssPeak, sample.rssMb);
        void (progress?.() ?? Promise.resolve('')).catch(() => '').then((extra) => console.log(
          `  ${label}: ${((performance.now() - started) / 1000).toFixed(0)}/${SECONDS} s, sent ${sent}, acknowledged ${acked}, rss ${sample.rssMb.toFixed(1)} MB${extra}; load ${load()}`,
        ));
      }
    }, TICK_MS);
  });
  const seconds = (performance.now() - started) / 1000;
  const end = figures();
  rssPeak = Math.max(rssPeak, end.rssMb);
  const generator = process.cpuUsage(generatorCpu);
  // Counted before the clients end: ending them fails every publish still waiting for its PUBACK.
  const answered = { acked, failed };
  await Promise.all(clients.map((client) => client.endAsync(true)));
  const sorted = latencies.subarray(0, answered.acked).sort();
  return {
    sent, ...answered, seconds,
    p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN,
    rssConnected: connected.rssMb, rssPeak,
    cpuPercent: ((end.cpuSeconds - connected.cpuSeconds) / seconds) * 100,
    cpuSeconds: end.cpuSeconds - connected.cpuSeconds,
    generatorCpuPercent: ((generator.user + generator.system) / 1e6 / seconds) * 100,
  };
}

const row = (name: string, f: SideFigures): string =>
  `${name.padEnd(22)} ${Math.round(f.acked / f.seconds).toLocaleString('en')} msgs/s acknowledged (${f.acked}/${f.sent}, ${f.failed} failed, ` +
  `${f.sent - f.acked - f.failed} unanswered ${ACK_GRACE_MS / 1000} s after the last publish) | ` +
  `publish → PUBACK p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms, max ${f.max.toFixed(0)} ms | rss connected ${f.rssConnected.toFixed(1)} MB, ` +
  `peak ${f.rssPeak.toFixed(1)} MB | CPU ${f.cpuPercent.toFixed(0)}% of a core | generator CPU ${f.generatorCpuPercent.toFixed(0)}%`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-bench-fleet-scale-'));
  const stops: Array<() => Promise<unknown> | void> = [];
  try {
    console.log(`${VEHICLES} vehicles × 1 QoS 1 reading/s (~${reading(ids[0] as string, 'x', 0).length} B) for ${SECONDS} s per side; load average ${load()}`);
    const passwordHash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
    writeFileSync(join(dir, 'devices.json'), JSON.stringify({ devices: ids.map((id) => ({ id, kind: 'vehicle', passwordHash })) }));
    const token = issueToken(NODE_ID);
    const cloud = await startCloudProcess(dir, token);
    stops.push(() => void cloud.child.kill('SIGTERM'));
    const agent = await startAgentProcess(
      {
        nodeId: NODE_ID,
        dataDir: join(dir, 'edge'),
        devices: { registryFile: join(dir, 'devices.json') },
        mqtt: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        cloud: { url: cloud.url, token: token.token },
      },
      dir,
      'edge.json',
      args.release === ''
        ? [process.execPath, ...NODE_FLAGS, '--import', 'tsx', AGENT_ENTRY]
        : [process.execPath, ...NODE_FLAGS, join(args.release, 'bin', 'fleetwire'), 'edge'],
    );
    stops.push(() => agent.kill('SIGTERM'));
    const agentPid = agent.child.pid as number;
    const httpAddress = agent.addresses.http as string;
    let atLoadStart: AgentMetrics | undefined;
    let lagMaxSeconds = 0;
    const viaAgent = await runLoad(
      agent.addresses.mqtt as string, [agentPid], (id) => ({ clientId: id, username: id, password: PASSWORD }), 'edge agent',
      async () => {
        const metrics = await agentMetrics(httpAddress);
        lagMaxSeconds = Math.max(lagMaxSeconds, metrics?.lagMaxSeconds ?? 0);
        return `, backlog to the cloud ${metrics?.backlog ?? '(no answer)'} records, cloud rss ${processFigures(cloud.child.pid as number).rssMb.toFixed(0)} MB`;
      },
      async () => {
        atLoadStart = await agentMetrics(httpAddress);
      },
    );
    console.log(row('edge agent (durable)', viaAgent));
    const atLoadEnd = await agentMetrics(httpAddress);
    lagMaxSeconds = Math.max(lagMaxSeconds, atLoadEnd?.lagMaxSeconds ?? 0);
    console.log(`  the agent during the load: ${atLoadStart && atLoadEnd ? agentBreakdown(atLoadStart, atLoadEnd, lagMaxSeconds, viaAgent.cpuSeconds) : '(its /metrics did not answer)'}`);
    const drainStarted = Date.now();
    let backlog = await agentBacklog(httpAddress);
    while (backlog !== 0 && agent.child.exitCode === null && Date.now() - drainStarted < DRAIN_SECONDS * 1000) {
      await sleep(500);
      backlog = await agentBacklog(httpAddress);
    }
    const drained = agent.child.exitCode !== null
      ? `unknown: the agent exited (${agent.child.exitCode}) ${agent.logs.filter((entry) => entry.level === 50 || entry.level === 60).slice(-3).map((entry) => JSON.stringify(entry)).join(' ')}`
      : backlog === 0 ? `drained ${((Date.now() - drainStarted) / 1000).toFixed(1)} s after the load` : `NOT drained: ${backlog ?? '(no answer)'} records left after ${DRAIN_SECONDS} s`;
    console.log(`  the agent's backlog to the cloud ${drained}; agent ${args.release === '' ? 'on tsx from this checkout' : `from release ${args.release}`}${NODE_FLAGS.length === 0 ? '' : ` under node ${NODE_FLAGS.join(' ')}`}`);
    await agent.kill('SIGTERM');
    if (!args['skip-mosquitto']) {
      const mosquitto = await spawnMosquitto(dir);
      stops.push(() => void mosquitto.child.kill('SIGTERM'));
      const subscriber = await mqtt.connectAsync(mosquitto.url, { reconnectPeriod: 0, clientId: `bench-sub-${process.pid}` });
      stops.push(() => subscriber.endAsync(true));
      await subscriber.subscribeAsync('fleetwire/v1/+/+/telemetry', { qos: 1 });
      const viaMosquitto = await runLoad(mosquitto.url, [mosquitto.child.pid as number], (id) => ({ clientId: `m-${id}` }), 'mosquitto');
      console.log(row('mosquitto → subscriber', viaMosquitto));
      console.log(`ratio agent/mosquitto: rate ${(viaAgent.acked / viaAgent.seconds / (viaMosquitto.acked / viaMosquitto.seconds)).toFixed(2)}, ` +
        `p99 ${(viaAgent.p99 / viaMosquitto.p99).toFixed(1)}×, peak rss ${(viaAgent.rssPeak / viaMosquitto.rssPeak).toFixed(1)}×`);
    }
    console.log(`target: p99 < 100 ms and the backlog drained; load average ${load()}`);
  } finally {
    for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) await Promise.resolve(stop()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
