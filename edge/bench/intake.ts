/**
 * Durable intake benchmark (not a test): QoS 1 messages per second through the edge agent —
 * MQTT → validated → committed to SQLite → PUBACK — against Mosquitto passing the same load to
 * one QoS 1 subscriber. Same load generator, same machine, same run, rounds alternating.
 *
 *   node --import tsx edge/bench/intake.ts [--messages 20000] [--clients 8] [--window 32]
 *        [--rounds 5] [--mosquitto-url mqtt://127.0.0.1:11883] [--synchronous full|normal]
 *        [--buffer '{"commitIntervalMs":10}'] [--cpu-prof DIR] [--peer-agent CHECKOUT]
 *
 * Without --mosquitto-url a private mosquitto is spawned on a free port (unbounded queues, so
 * its subscriber receives every message). The agent runs as its own process with the uplink
 * off, exactly as in production otherwise (synchronous=full by default: every commit fsynced).
 * Per round it prints the CPU µs per message of each broker process (from /proc, all threads)
 * and of this load generator: on a shared machine CPU per message moves less than the rates.
 * For the agent it also prints the bytes it wrote per message (/proc: handed to write(), and
 * what reached the block layer) and, from its metrics, where a commit's latency went: messages
 * per group, and per group the collect time, the COMMIT, the wait for its fsync and the fsync.
 * `--peer-agent` runs a second agent from another checkout (e.g. the main branch) in the same
 * rounds, the order rotating, so a change is compared with what it changes in the same load.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { AGENT_ENTRY, startAgentProcess, type AgentProcess } from '../test/support/agent-process.js';
import { vehicles, writeRegistry, type TestDevice } from '../test/support/fleet.js';
import { benchOptions } from './bench-options.js';
import { spawnMosquitto } from './peer-mosquitto.js';

const USAGE = `node --import tsx edge/bench/intake.ts [--messages 20000] [--clients 8] [--window 32]
     [--rounds 5] [--mosquitto-url mqtt://127.0.0.1:11883] [--synchronous full|normal]
     [--buffer '{"commitIntervalMs":10}'] [--cpu-prof DIR] [--peer-agent CHECKOUT]
  --messages       QoS 1 messages per round and side, spread over --clients
  --window         messages in flight per client
  --mosquitto-url  an existing Mosquitto instead of a private one
  --synchronous    the agent buffer's SQLite synchronous setting
  --buffer         extra buffer options as JSON
  --cpu-prof       write a V8 CPU profile of the agent process into this folder
  --peer-agent     also run the agent of this checkout (same options), rounds rotating the order`;

const values = benchOptions(USAGE, { messages: '20000', clients: '8', window: '32', rounds: '5', 'mosquitto-url': '', synchronous: 'full', buffer: '{}', 'cpu-prof': '', 'peer-agent': '' });
const MESSAGES = Number(values.messages);
const CLIENTS = Number(values.clients);
const WINDOW = Number(values.window);
const ROUNDS = Number(values.rounds);
const PER_CLIENT = Math.ceil(MESSAGES / CLIENTS);
const TOTAL = PER_CLIENT * CLIENTS;

const devices = vehicles(CLIENTS, 'VH-B');

function payload(deviceId: string, epoch: string, seq: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: 1, ts: Date.now(), epoch, seq, deviceId,
      position: { lat: 52.52 + seq * 1e-6, lon: 13.405 }, speedKph: 42, headingDeg: 180, odometerKm: 12_345,
      socPct: 64, battery: { tempC: 25, voltageV: 398, currentA: -40 }, aux12vV: 12.6,
      tyresKpa: { fl: 240, fr: 240, rl: 238, rr: 238 }, locked: false, ignition: true, dtcs: [],
    }),
  );
}

function connect(url: string, options: mqtt.IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
}

/** Each client keeps WINDOW QoS 1 publishes in flight until it has sent PER_CLIENT; resolves when all are acked. */
async function publishLoad(clients: MqttClient[], epoch: string): Promise<void> {
  await Promise.all(
    clients.map(
      (client, index) =>
        new Promise<void>((resolvePromise, reject) => {
          const device = devices[index] as TestDevice;
          const topic = `fleetwire/v1/vehicle/${device.id}/telemetry`;
          let sent = 0;
          let acked = 0;
          const sendNext = (): void => {
            if (sent >= PER_CLIENT) return;
            const seq = sent++;
            client.publish(topic, payload(device.id, epoch, seq), { qos: 1 }, (error) => {
              if (error) return reject(error);
              acked += 1;
              if (acked === PER_CLIENT) return resolvePromise();
              sendNext();
            });
          };
          for (let i = 0; i < WINDOW; i++) sendNext();
        }),
    ),
  );
}

async function agentRound(url: string, round: number): Promise<number> {
  const clients = await Promise.all(devices.map((d) => connect(url, { clientId: d.id, username: d.id, password: d.password })));
  const started = performance.now();
  await publishLoad(clients, `a${round}${Date.now().toString(36)}`);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.endAsync()));
  return TOTAL / seconds;
}

async function mosquittoRound(url: string, round: number): Promise<number> {
  const subscriber = await connect(url, { clientId: `bench-sub-${process.pid}-${round}`, clean: true });
  await subscriber.subscribeAsync('fleetwire/v1/+/+/telemetry', { qos: 1 });
  let received = 0;
  const allReceived = new Promise<void>((resolvePromise) => {
    subscriber.on('message', () => {
      received += 1;
      if (received === TOTAL) resolvePromise();
    });
  });
  const clients = await Promise.all(devices.map((d, i) => connect(url, { clientId: `bench-pub-${process.pid}-${round}-${i}` })));
  const started = performance.now();
  await publishLoad(clients, `m${round}${Date.now().toString(36)}`);
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`mosquitto subscriber got ${received}/${TOTAL}`)), 120_000).unref());
  await Promise.race([allReceived, timeout]);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([...clients, subscriber].map((c) => c.endAsync()));
  return TOTAL / seconds;
}


/** The agent's metrics that say where a commit's latency went (running sums, see buffer/metrics.ts). */
interface CommitSums {
  latencySum: number;
  latencyCount: number;
  groups: number;
  writes: number;
  syncs: number;
  phases: Record<string, number>;
}

async function commitSums(httpUrl: string): Promise<CommitSums> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const phases: Record<string, number> = {};
  for (const [, phase, value] of text.matchAll(/^fleetwire_buffer_commit_seconds_total\{phase="(\w+)"\} (\S+)$/gm)) phases[phase!] = Number(value);
  return {
    latencySum: read('fleetwire_intake_commit_latency_seconds_sum'),
    latencyCount: read('fleetwire_intake_commit_latency_seconds_count'),
    groups: read('fleetwire_buffer_commit_groups_total'),
    writes: read('fleetwire_buffer_commit_writes_total'),
    syncs: read('fleetwire_buffer_wal_syncs_total'),
    phases,
  };
}

/** One round's commit figures: the pipeline's receipt → commit latency and the group commit's phases, in ms. */
function describeCommits(before: CommitSums, after: CommitSums, seconds: number): string {
  const latency = ((after.latencySum - before.latencySum) / (after.latencyCount - before.latencyCount)) * 1000;
  const groups = after.groups - before.groups;
  const syncs = after.syncs - before.syncs;
  if (!(groups > 0)) return `commit latency ${latency.toFixed(1)} ms`;
  const perGroup = (phase: string): string => ((((after.phases[phase] ?? NaN) - (before.phases[phase] ?? NaN)) / groups) * 1000).toFixed(2);
  const perSync = ((((after.phases.sync ?? NaN) - (before.phases.sync ?? NaN)) / syncs) * 1000).toFixed(2);
  return (
    `commit latency ${latency.toFixed(1)} ms; ${((after.writes - before.writes) / groups).toFixed(0)} msg/group, ${(groups / seconds).toFixed(0)} groups/s, ` +
    `${(syncs / seconds).toFixed(0)} fsyncs/s; per group ms: collect ${perGroup('collect')}, COMMIT ${perGroup('transaction')}, to fsync ${perGroup('sync_wait')}; fsync ${perSync} ms`
  );
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Bytes a process handed to write() (`wchar`, sockets included) and caused to be written to storage (`write_bytes`), from /proc. */
function bytesWritten(pid: number | undefined): { handed: number; stored: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const read = (field: string): number => Number(new RegExp(`^${field}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
    return { handed: read('wchar'), stored: read('write_bytes') };
  } catch {
    return { handed: NaN, stored: NaN };
  }
}

interface RoundFigures {
  rate: number;
  cpuUs: number;
  loadCpuUs: number;
  /** Per message: bytes handed to write() and bytes written to storage by the broker process. */
  handedBytes: number;
  storedBytes: number;
}

/**
 * Runs a round; returns its rate, the CPU µs per message spent by the given broker process and by
 * this load generator (its clients, and for Mosquitto also the subscriber), and the broker's bytes written.
 */
async function measured(pid: number | undefined, round: () => Promise<number>): Promise<RoundFigures> {
  const before = cpuSeconds(pid);
  const written = bytesWritten(pid);
  const load = process.cpuUsage();
  const rate = await round();
  const { user, system } = process.cpuUsage(load);
  const after = bytesWritten(pid);
  return {
    rate,
    cpuUs: ((cpuSeconds(pid) - before) / TOTAL) * 1e6,
    loadCpuUs: (user + system) / TOTAL,
    handedBytes: (after.handed - written.handed) / TOTAL,
    storedBytes: (after.stored - written.stored) / TOTAL,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface Contender {
  name: string;
  agent?: AgentProcess;
  run(round: number): Promise<number>;
  pid: number | undefined;
  rates: number[];
  cpu: number[];
  stored: number[];
}

async function startAgent(dir: string, name: string, entry: string, profile: boolean): Promise<AgentProcess> {
  const home = join(dir, name);
  mkdirSync(home);
  return startAgentProcess(
    {
      nodeId: 'bench-node',
      dataDir: join(home, 'data'),
      devices: { registryFile: await writeRegistry(home, devices) },
      mqtt: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      buffer: { ...(JSON.parse(values.buffer) as Record<string, unknown>), synchronous: values.synchronous },
    },
    home,
    'edge.json',
    [process.execPath, ...(profile && values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []), '--import', 'tsx', entry],
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-bench-intake-'));
  const agents: AgentProcess[] = [];
  const mosquitto = values['mosquitto-url'] ? { url: values['mosquitto-url'], child: undefined } : await spawnMosquitto(dir);
  try {
    const agent = await startAgent(dir, 'agent', AGENT_ENTRY, true);
    agents.push(agent);
    const contenders: Contender[] = [
      { name: 'mosquitto → subscriber', run: (round) => mosquittoRound(mosquitto.url, round), pid: mosquitto.child?.pid, rates: [], cpu: [], stored: [] },
      { name: 'edge agent durable', agent, run: (round) => agentRound(agent.addresses.mqtt as string, round), pid: agent.child.pid, rates: [], cpu: [], stored: [] },
    ];
    if (values['peer-agent']) {
      const peer = await startAgent(dir, 'peer', resolve(values['peer-agent'], 'edge/test/support/run-agent.ts'), false);
      agents.push(peer);
      contenders.push({ name: `peer agent (${values['peer-agent']})`, agent: peer, run: (round) => agentRound(peer.addresses.mqtt as string, round), pid: peer.child.pid, rates: [], cpu: [], stored: [] });
    }
    const [viaMosquitto, viaAgent] = contenders as [Contender, Contender, Contender?];
    const viaPeer = contenders[2];
    console.log(`load: ${TOTAL} QoS 1 messages (~${payload('VH-B000', 'x', 0).length} B), ${CLIENTS} clients, window ${WINDOW}; agent synchronous=${values.synchronous}`);
    for (let round = 1; round <= ROUNDS; round++) {
      // Without a peer Mosquitto goes first as it always did; with one the order rotates.
      const order = contenders.map((_, i) => contenders[(i + (viaPeer ? round - 1 : 0)) % contenders.length] as Contender);
      const lines: string[] = [];
      for (const contender of order) {
        const http = contender.agent?.addresses.http;
        const sumsBefore = http === undefined ? undefined : await commitSums(http);
        const figures = await measured(contender.pid, () => contender.run(round));
        contender.rates.push(figures.rate);
        contender.cpu.push(figures.cpuUs);
        contender.stored.push(figures.storedBytes);
        let line = `${contender.name} ${figures.rate.toFixed(0)} msg/s (cpu ${figures.cpuUs.toFixed(1)} µs/msg, load generator ${figures.loadCpuUs.toFixed(1)})`;
        if (http !== undefined && sumsBefore !== undefined) {
          line +=
            `; written ${figures.handedBytes.toFixed(0)} B/msg to write(), ${figures.storedBytes.toFixed(0)} B/msg to storage; ` +
            `round trip ${((CLIENTS * WINDOW) / figures.rate * 1000).toFixed(1)} ms; ${describeCommits(sumsBefore, await commitSums(http), TOTAL / figures.rate)}`;
        }
        lines.push(line);
      }
      const ratio = (viaAgent.rates.at(-1)! / viaMosquitto.rates.at(-1)!).toFixed(2);
      const peerRatios = viaPeer ? `; peer ratio ${(viaPeer.rates.at(-1)! / viaMosquitto.rates.at(-1)!).toFixed(2)}, agent / peer ${(viaAgent.rates.at(-1)! / viaPeer.rates.at(-1)!).toFixed(2)}` : '';
      console.log(`round ${round}:\n  ${lines.join('\n  ')}\n  ratio ${ratio}${peerRatios}; load ${loadavg()[0]!.toFixed(1)}`);
    }
    // The machine is shared and noisy: the median of per-round ratios (each round runs both
    // peers back to back) is steadier than a ratio of medians.
    const ratios = (of: Contender, to: Contender): number[] => of.rates.map((rate, i) => rate / (to.rates[i] as number));
    const summary = (of: Contender): string =>
      `${median(of.rates).toFixed(0)} msg/s (cpu ${median(of.cpu).toFixed(1)} µs/msg, ${median(of.stored).toFixed(0)} B/msg to storage)`;
    console.log(
      `median: edge agent ${summary(viaAgent)}, mosquitto ${median(viaMosquitto.rates).toFixed(0)} msg/s (cpu ${median(viaMosquitto.cpu).toFixed(1)} µs/msg), ` +
        `median per-round ratio ${median(ratios(viaAgent, viaMosquitto)).toFixed(2)} (target ≥ 1.0)` +
        (viaPeer ? `; peer ${summary(viaPeer)}, ratio ${median(ratios(viaPeer, viaMosquitto)).toFixed(2)}, agent / peer ${median(ratios(viaAgent, viaPeer)).toFixed(2)}` : '') +
        `; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    );
  } finally {
    await Promise.all(agents.map((agent) => agent.kill('SIGTERM')));
    mosquitto.child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
