/**
 * Memory of the edge agent serving a fleet (not a test): `--devices` MQTT clients (default
 * 1,000) connect to a real agent process and each publishes one QoS 1 vehicle reading per
 * second for `--seconds`, uplink off (the buffer fills, as during an outage). The agent's
 * resident memory is sampled from /proc every second: idle (right after start, and after
 * `--idle-seconds` with nothing connected: a box is idle for hours, and V8's idle-time GC returns
 * the start-up garbage only after a while), all devices connected, peak and end of load. The peer is Mosquitto carrying the same clients and load to one subscriber, in
 * the same run: what a minimal C broker holding the same connections needs.
 *
 *   node --import tsx edge/bench/fleet-memory.ts [--devices 1000] [--seconds 60] [--connects-per-second 200] [--idle-seconds 60] [--release <folder>]
 *     [--node-flags '<v8 flags>'] [--commit-interval-ms <n>] [--cache-bytes <n>]
 *
 * `--commit-interval-ms` sets the buffer's group-commit window (default the agent's own, 5 ms):
 * the setting that trades PUBACK latency for fewer, larger WAL commits. `--release` runs the agent from an unpacked release (`pnpm run release`, then its
 * `pnpm install --prod`) on plain node instead of this checkout on tsx. The bytes the agent
 * wrote to storage during the load (/proc/<pid>/io write_bytes: the SQLite buffer and its WAL,
 * nothing is sent upstream) are printed per hour — the SD-card wear of an outage's buffering.
 * `--node-flags` (with `--release`) starts the release's CLI under `node <flags>`, e.g.
 * `--max-semi-space-size=2`: the agent's CPU seconds during the load are printed beside its
 * memory, so a flag's price in CPU is read in the same run as what it saves. `--cache-bytes`
 * sets the buffer's SQLite page cache (default the agent's own, 8 MiB), which fills as the
 * buffer grows.
 *
 * The registry's password hashes use a low scrypt cost (N=1024) so that 1,000 connects take
 * seconds, not a minute of CPU; hashing cost does not change what the agent keeps in memory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { hashPassword } from '../src/intake/auth/password-hash.js';
import { startAgentProcess } from '../test/support/agent-process.js';
import { benchOptions } from './bench-options.js';
import { spawnMosquitto } from './peer-mosquitto.js';

const values = benchOptions(
  'usage: node --import tsx edge/bench/fleet-memory.ts [--devices 1000] [--seconds 60] [--connects-per-second 200] [--idle-seconds 60] [--release <folder>] [--node-flags \'<v8 flags>\'] [--commit-interval-ms <n>] [--cache-bytes <n>]',
  { devices: '1000', seconds: '60', 'connects-per-second': '200', 'idle-seconds': '60', release: '', 'node-flags': '', 'commit-interval-ms': '', 'cache-bytes': '' },
);
const DEVICES = Number(values.devices);
const SECONDS = Number(values.seconds);
const CONNECTS_PER_SECOND = Number(values['connects-per-second']);
const IDLE_SECONDS = Number(values['idle-seconds']);
const RELEASE = values.release;
const COMMIT_INTERVAL_MS = values['commit-interval-ms'];
const CACHE_BYTES = values['cache-bytes'];
const NODE_FLAGS = values['node-flags'].split(' ').filter((flag) => flag !== '');
if (NODE_FLAGS.length > 0 && RELEASE === '') {
  console.error('--node-flags needs --release (the flags go before the release\'s CLI on plain node)');
  process.exit(2);
}
const PASSWORD = 'bench-fleet';
const ids = Array.from({ length: DEVICES }, (_, i) => `VH-M${String(i).padStart(5, '0')}`);

function reading(deviceId: string, epoch: string, seq: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: 1, ts: Date.now(), epoch, seq, deviceId,
      position: { lat: 52.52 + seq * 1e-5, lon: 13.405 }, speedKph: 30, headingDeg: 90, odometerKm: 10_000 + seq * 0.01,
      socPct: 70, battery: { tempC: 24, voltageV: 398, currentA: -20 }, aux12vV: 12.6,
      tyresKpa: { fl: 240, fr: 240, rl: 238, rr: 238 }, locked: false, ignition: true, dtcs: [],
    }),
  );
}

/** Bytes a process caused to be written to storage so far, from /proc. */
function storageWrites(pid: number): number {
  return Number(/^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident and peak resident memory of a process, MB, from /proc. */
function residentMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function connectFleet(url: string, options: (id: string) => mqtt.IClientOptions): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  for (const id of ids) {
    clients.push(await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 30_000, ...options(id) }));
    await sleep(1000 / CONNECTS_PER_SECOND);
  }
  return clients;
}

interface LoadFigures { started: number; idle: number; connected: number; peak: number; end: number; published: number; writtenBytes: number; loadSeconds: number; cpuSeconds: number }

/** Connects the fleet, publishes at 1 Hz per device for SECONDS, sampling `pid` every second. */
async function runLoad(url: string, pid: number, options: (id: string) => mqtt.IClientOptions, label: string): Promise<LoadFigures> {
  const started = residentMb(pid).rss;
  for (let second = 1; second <= IDLE_SECONDS; second++) {
    await sleep(1000);
    if (second % 20 === 0) console.log(`  ${label}: idle ${second}/${IDLE_SECONDS} s, rss ${residentMb(pid).rss.toFixed(1)} MB`);
  }
  const idle = residentMb(pid).rss;
  const clients = await connectFleet(url, options);
  const connected = residentMb(pid).rss;
  const epoch = `${label[0]}${Date.now().toString(36)}`;
  const writesBefore = storageWrites(pid);
  const cpuBefore = cpuSeconds(pid);
  const loadStarted = Date.now();
  let published = 0;
  let peak = connected;
  for (let second = 0; second < SECONDS; second++) {
    const tick = Date.now();
    await Promise.all(
      clients.map((client, i) => client.publishAsync(`fleetwire/v1/vehicle/${ids[i]}/telemetry`, reading(ids[i] as string, epoch, second), { qos: 1 })),
    );
    published += clients.length;
    peak = Math.max(peak, residentMb(pid).rss);
    if ((second + 1) % 10 === 0) console.log(`  ${label}: ${second + 1}/${SECONDS} s, ${published} acknowledged, rss ${residentMb(pid).rss.toFixed(1)} MB`);
    await sleep(Math.max(0, 1000 - (Date.now() - tick)));
  }
  const end = residentMb(pid).rss;
  const writtenBytes = storageWrites(pid) - writesBefore;
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  await Promise.all(clients.map((c) => c.endAsync()));
  return { started, idle, connected, peak, end, published, writtenBytes, loadSeconds, cpuSeconds: cpu };
}


const row = (name: string, f: LoadFigures): string =>
  `${name.padEnd(24)} at start ${f.started.toFixed(1).padStart(6)} MB | idle ${f.idle.toFixed(1).padStart(6)} MB | ${DEVICES} connected ${f.connected.toFixed(1).padStart(6)} MB | peak under load ${f.peak.toFixed(1).padStart(6)} MB | end ${f.end.toFixed(1).padStart(6)} MB | ${f.published} msgs | CPU ${f.cpuSeconds.toFixed(1)} s (${((f.cpuSeconds * 1e6) / f.published).toFixed(0)} µs/msg)`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-bench-fleet-memory-'));
  const passwordHash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  writeFileSync(join(dir, 'devices.json'), JSON.stringify({ devices: ids.map((id) => ({ id, kind: 'vehicle', passwordHash })) }));
  const agent = await startAgentProcess(
    {
      nodeId: 'bench-fleet',
      dataDir: join(dir, 'data'),
      devices: { registryFile: join(dir, 'devices.json') },
      mqtt: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      buffer: {
        ...(COMMIT_INTERVAL_MS === '' ? {} : { commitIntervalMs: Number(COMMIT_INTERVAL_MS) }),
        ...(CACHE_BYTES === '' ? {} : { cacheBytes: Number(CACHE_BYTES) }),
      },
    },
    dir,
    'edge.json',
    RELEASE === '' ? undefined : NODE_FLAGS.length === 0 ? [join(RELEASE, 'bin', 'fleetwire'), 'edge'] : [process.execPath, ...NODE_FLAGS, join(RELEASE, 'bin', 'fleetwire'), 'edge'],
  );
  const mosquitto = await spawnMosquitto(dir);
  const subscriber = await mqtt.connectAsync(mosquitto.url, { reconnectPeriod: 0, clientId: `bench-sub-${process.pid}` });
  await subscriber.subscribeAsync('fleetwire/v1/+/+/telemetry', { qos: 1 });
  try {
    console.log(`agent pid ${agent.child.pid}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`load: ${DEVICES} devices, one QoS 1 reading (~${reading(ids[0] as string, 'x', 0).length} B) per device per second for ${SECONDS} s`);
    const viaAgent = await runLoad(agent.addresses.mqtt as string, agent.child.pid as number, (id) => ({ clientId: id, username: id, password: PASSWORD }), 'edge agent');
    const viaMosquitto = await runLoad(mosquitto.url, mosquitto.child.pid as number, (id) => ({ clientId: `m-${id}` }), 'mosquitto');
    console.log(`agent: ${RELEASE === '' ? 'this checkout on tsx' : `release ${RELEASE} on plain node${NODE_FLAGS.length === 0 ? '' : ` ${NODE_FLAGS.join(' ')}`}`}, buffer commit window ${COMMIT_INTERVAL_MS === '' ? 'default' : `${COMMIT_INTERVAL_MS} ms`}, SQLite cache ${CACHE_BYTES === '' ? 'default' : `${CACHE_BYTES} B`}`);
    console.log(row('edge agent (durable)', viaAgent));
    console.log(row('mosquitto → subscriber', viaMosquitto));
    const held = (f: LoadFigures) => f.peak - f.idle;
    const connecting = (f: LoadFigures) => f.connected - f.idle;
    const loading = (f: LoadFigures) => f.peak - f.connected;
    console.log(
      `${DEVICES} devices connecting add (connected − idle): edge agent ${connecting(viaAgent).toFixed(1)} MB, mosquitto ${connecting(viaMosquitto).toFixed(1)} MB; ` +
        `the 1 Hz load adds (peak − connected): edge agent ${loading(viaAgent).toFixed(1)} MB, mosquitto ${loading(viaMosquitto).toFixed(1)} MB`,
    );
    console.log(
      `memory for ${DEVICES} devices under load (peak − idle): edge agent ${held(viaAgent).toFixed(1)} MB, mosquitto ${held(viaMosquitto).toFixed(1)} MB; ` +
        `agent peak ${viaAgent.peak.toFixed(1)} MB, ${(viaAgent.peak / viaMosquitto.peak).toFixed(1)}× mosquitto's peak`,
    );
    const perHour = (f: LoadFigures) => (f.writtenBytes / f.loadSeconds) * 3600;
    console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(
      `storage writes while buffering (uplink off): edge agent ${(viaAgent.writtenBytes / 1024 ** 2).toFixed(1)} MB in ${viaAgent.loadSeconds.toFixed(0)} s = ` +
        `${(perHour(viaAgent) / 1024 ** 3).toFixed(2)} GiB/h, ${(viaAgent.writtenBytes / viaAgent.published).toFixed(0)} B per message; mosquitto (in memory) ${(viaMosquitto.writtenBytes / 1024 ** 2).toFixed(1)} MB`,
    );
  } finally {
    await subscriber.endAsync();
    await agent.kill('SIGTERM');
    mosquitto.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
