/**
 * Device logins under attack (not a test), against a real agent process, with the real scrypt
 * cost (`fleetwire edge hash-password`'s). Two scenarios, each run against this checkout and,
 * with `--baseline <checkout>`, against another checkout side by side (e.g. the code before the
 * login guard, in a temporary git worktree with its dependencies installed):
 *
 * 1. flood: `--flood-sockets` MQTT clients (default 200) from 127.0.0.1 send CONNECTs with a
 *    wrong password for a registered device as fast as the agent answers, for `--flood-seconds`.
 *    Meanwhile, from 127.0.0.2, a legitimate device connects once a second (the same device
 *    each time: warm) and a never-seen device too (cold). Connect times are compared with the
 *    same connects before the flood; refusals of legitimate devices are counted.
 * 2. reconnect: `--devices` registered devices (default 1,000) connect at once to a freshly
 *    started agent (cold, as after an agent restart), then all connections drop and they
 *    reconnect at once (warm, as after the depot's network came back): time until all are
 *    connected. A refused device retries after 1 s, as mqtt.js does by default.
 *
 *   node --import tsx edge/bench/auth-under-attack.ts [--baseline <checkout>] [--flood-sockets 200]
 *     [--flood-seconds 15] [--devices 1000] [--work-dir <dir>]
 *
 * The registry (scrypt hashes of `--devices` + 20 passwords) is computed once and kept in
 * `--work-dir` for later runs.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MqttClient } from 'mqtt';
import { hashPassword } from '../src/intake/auth/password-hash.js';
import { startAgentProcess, type AgentProcess } from '../test/support/agent-process.js';
import { benchOptions } from './bench-options.js';

const USAGE = 'usage: node --import tsx edge/bench/auth-under-attack.ts [--baseline <checkout>] [--flood-sockets 200] [--flood-seconds 15] [--devices 1000] [--work-dir <dir>]';
const values = benchOptions(USAGE, { baseline: '', 'flood-sockets': '200', 'flood-seconds': '15', devices: '1000', 'work-dir': join(tmpdir(), 'fleetwire-bench-auth') });
const FLOOD_SOCKETS = Number(values['flood-sockets']);
const FLOOD_SECONDS = Number(values['flood-seconds']);
const DEVICES = Number(values.devices);
const WORK_DIR = values['work-dir'];
const EXTRA = 20;
/** Hashed once and kept: a run with fewer devices uses the first ones of the same registry. */
const POOL = Math.max(DEVICES, 1_000) + EXTRA;
const ATTACKER = '127.0.0.1';
const LEGITIMATE = '127.0.0.2';
const FLEET = '127.0.0.3';

interface Device { id: string; password: string }

const progress = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)} load ${loadavg()[0]!.toFixed(2)}] ${line}`);

async function registry(): Promise<{ file: string; devices: Device[] }> {
  mkdirSync(WORK_DIR, { recursive: true });
  const file = join(WORK_DIR, `devices-${POOL}.json`);
  const secrets = join(WORK_DIR, `passwords-${POOL}.json`);
  if (existsSync(file) && existsSync(secrets)) return { file, devices: JSON.parse(readFileSync(secrets, 'utf8')) as Device[] };
  const devices = Array.from({ length: POOL }, (_, i) => ({ id: `VH-A${String(i).padStart(5, '0')}`, password: `pw-${i}-${Math.random().toString(36).slice(2)}` }));
  progress(`hashing ${devices.length} passwords with the default scrypt cost (once; kept in ${WORK_DIR})`);
  const entries = [];
  for (let i = 0; i < devices.length; i += 8) {
    entries.push(...(await Promise.all(devices.slice(i, i + 8).map(async (d) => ({ id: d.id, kind: 'vehicle', passwordHash: await hashPassword(d.password) })))));
    if (i % 200 === 0) progress(`  ${i}/${devices.length}`);
  }
  writeFileSync(file, JSON.stringify({ devices: entries }));
  writeFileSync(secrets, JSON.stringify(devices));
  return { file, devices };
}

type Outcome = { ok: true; ms: number; client: MqttClient } | { ok: false; ms: number; code: number | string };

/** One MQTT CONNECT from `localAddress` (mqtt.js over a socket bound to it); resolves on CONNACK or failure. */
function connectOnce(port: number, localAddress: string, device: Device, clientId = device.id): Promise<Outcome> {
  const started = performance.now();
  const client = new MqttClient(() => tcpConnect({ host: '127.0.0.1', port, localAddress }), {
    protocolVersion: 4, clientId, username: device.id, password: device.password, reconnectPeriod: 0, connectTimeout: 60_000, keepalive: 0,
  } as never);
  return new Promise((done) => {
    const finish = (outcome: Outcome): void => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      if (!outcome.ok) client.end(true);
      done(outcome);
    };
    client.once('connect', () => finish({ ok: true, ms: performance.now() - started, client }));
    client.once('error', (error: Error & { code?: number | string }) => finish({ ok: false, ms: performance.now() - started, code: error.code ?? error.message }));
    client.once('close', () => finish({ ok: false, ms: performance.now() - started, code: 'closed' }));
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const max = (xs: number[]): number => Math.max(...xs);

interface LegitSample { warm: number[]; cold: number[]; refused: string[] }

/** Once a second for `seconds`: the warm device connects again, a fresh device connects for the first time. */
async function legitimateConnects(port: number, warm: Device, cold: Device[], seconds: number): Promise<LegitSample> {
  const sample: LegitSample = { warm: [], cold: [], refused: [] };
  for (let s = 0; s < seconds; s += 1) {
    const tick = sleep(1_000);
    const fresh = cold.shift();
    const attempts = [connectOnce(port, LEGITIMATE, warm, `${warm.id}:${s}`), ...(fresh ? [connectOnce(port, LEGITIMATE, fresh)] : [])];
    const [w, c] = await Promise.all(attempts);
    for (const [outcome, into] of [[w, sample.warm], [c, sample.cold]] as const) {
      if (outcome === undefined) continue;
      if (outcome.ok) {
        into.push(outcome.ms);
        outcome.client.end(true);
      } else sample.refused.push(String(outcome.code));
    }
    await tick;
  }
  return sample;
}

async function flood(port: number, victim: Device, until: number): Promise<number> {
  let attempts = 0;
  const wrong = { ...victim, password: 'not-the-password' };
  await Promise.all(Array.from({ length: FLOOD_SOCKETS }, async (_, i) => {
    while (Date.now() < until) {
      await connectOnce(port, ATTACKER, wrong, `${victim.id}:f${i}`);
      attempts += 1;
    }
  }));
  return attempts;
}

async function startAgent(label: string, root: string, file: string): Promise<AgentProcess> {
  const dir = mkdtempSync(join(tmpdir(), `fw-bench-auth-${label}-`));
  const command = [process.execPath, '--import', 'tsx', join(root, 'edge/test/support/run-agent.ts')];
  return startAgentProcess({ nodeId: `bench-${label}`, dataDir: join(dir, 'data'), logLevel: 'warn', devices: { registryFile: file, watch: false }, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } }, dir, 'edge.json', command);
}

const portOf = (agent: AgentProcess): number => Number(new URL(agent.addresses.mqtt as string).port);
const fmt = (ms: number): string => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : '—');

async function floodScenario(label: string, root: string, file: string, devices: Device[]): Promise<Record<string, string>> {
  const agent = await startAgent(label, root, file);
  try {
    const port = portOf(agent);
    const [victim, warm, ...cold] = devices.slice(POOL - EXTRA) as [Device, Device, ...Device[]];
    progress(`${label}: unloaded connects, 5 s`);
    const unloaded = await legitimateConnects(port, warm, cold.splice(0, 5), 5);
    progress(`${label}: flood from ${FLOOD_SOCKETS} sockets for ${FLOOD_SECONDS} s, legitimate connects once a second`);
    const until = Date.now() + FLOOD_SECONDS * 1_000;
    const flooding = flood(port, victim, until);
    await sleep(1_000);
    const loaded = await legitimateConnects(port, warm, cold.splice(0, FLOOD_SECONDS - 2), FLOOD_SECONDS - 2);
    const attempts = await flooding;
    const load = loadavg()[0]!.toFixed(2);
    return {
      'unloaded warm (median)': fmt(median(unloaded.warm.slice(1))),
      'unloaded cold (median)': fmt(median(unloaded.cold)),
      'flood warm (median / max)': `${fmt(median(loaded.warm))} / ${fmt(max(loaded.warm))}`,
      'flood cold (median / max)': `${fmt(median(loaded.cold))} / ${fmt(max(loaded.cold))}`,
      'ratio warm, flood/unloaded': (median(loaded.warm) / median(unloaded.warm.slice(1))).toFixed(2),
      'ratio cold, flood/unloaded': (median(loaded.cold) / median(unloaded.cold)).toFixed(2),
      'legitimate refusals': `${loaded.refused.length + unloaded.refused.length}${loaded.refused.length ? ` (${[...new Set(loaded.refused)].join(', ')})` : ''}`,
      'flood CONNECTs answered': `${attempts} (${(attempts / FLOOD_SECONDS).toFixed(0)}/s)`,
      'load average (1 min)': load,
    };
  } finally {
    await agent.kill('SIGTERM');
  }
}

/** All devices connect at once; a refused one retries after 1 s. Resolves with the clients and the time until all connected. */
async function connectAll(port: number, devices: Device[]): Promise<{ ms: number; clients: MqttClient[]; retries: number }> {
  const started = performance.now();
  let retries = 0;
  const clients = await Promise.all(devices.map(async (device) => {
    for (;;) {
      const outcome = await connectOnce(port, FLEET, device);
      if (outcome.ok) return outcome.client;
      retries += 1;
      await sleep(1_000);
    }
  }));
  return { ms: performance.now() - started, clients, retries };
}

async function reconnectScenario(label: string, root: string, file: string, devices: Device[]): Promise<Record<string, string>> {
  const agent = await startAgent(label, root, file);
  try {
    const port = portOf(agent);
    const fleet = devices.slice(0, DEVICES);
    progress(`${label}: ${fleet.length} devices connect at once to a fresh agent`);
    const cold = await connectAll(port, fleet);
    const coldLoad = loadavg()[0]!.toFixed(2);
    progress(`${label}: cold ${fmt(cold.ms)}; dropping every connection, all reconnect at once`);
    await Promise.all(cold.clients.map((client) => client.endAsync(true)));
    await sleep(2_000);
    const warm = await connectAll(port, fleet);
    await Promise.all(warm.clients.map((client) => client.endAsync(true)));
    return {
      'cold: all connected after': `${fmt(cold.ms)} (${cold.retries} retries; load ${coldLoad})`,
      'reconnect: all connected after': `${fmt(warm.ms)} (${warm.retries} retries; load ${loadavg()[0]!.toFixed(2)})`,
    };
  } finally {
    await agent.kill('SIGTERM');
  }
}

function table(title: string, columns: Record<string, Record<string, string>>): void {
  const names = Object.keys(columns);
  const rows = Object.keys(Object.values(columns)[0] ?? {});
  const width = Math.max(...rows.map((row) => row.length));
  console.log(`\n${title}\n${''.padEnd(width)}  ${names.map((n) => n.padEnd(40)).join('')}`);
  for (const row of rows) console.log(`${row.padEnd(width)}  ${names.map((n) => (columns[n]?.[row] ?? '').padEnd(40)).join('')}`);
}

const here = resolve(import.meta.dirname, '../..');
const runs: Array<[string, string]> = [['this checkout', here], ...(values.baseline ? [['baseline', resolve(values.baseline)] as [string, string]] : [])];
const { file, devices } = await registry();
const floods: Record<string, Record<string, string>> = {};
const reconnects: Record<string, Record<string, string>> = {};
for (const [label, root] of runs) {
  floods[label] = await floodScenario(label.replace(/\s/g, '-'), root, file, devices);
  progress(`${label}: ${JSON.stringify(floods[label])}`);
}
for (const [label, root] of runs) {
  reconnects[label] = await reconnectScenario(label.replace(/\s/g, '-'), root, file, devices);
  progress(`${label}: ${JSON.stringify(reconnects[label])}`);
}
table(`wrong-password flood from ${FLOOD_SOCKETS} sockets (${FLOOD_SECONDS} s); legitimate device once a second from another address`, floods);
table(`${DEVICES} registered devices connecting at once`, reconnects);
