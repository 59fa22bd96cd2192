/**
 * Durable intake benchmark (not a test): QoS 1 messages per second through the edge agent —
 * MQTT → validated → committed to SQLite → PUBACK — against Mosquitto passing the same load to
 * one QoS 1 subscriber. Same load generator, same machine, same run, rounds alternating.
 *
 *   node --import tsx edge/bench/intake.ts [--messages 20000] [--clients 8] [--window 32]
 *        [--rounds 5] [--mosquitto-url mqtt://127.0.0.1:11883] [--synchronous full|normal]
 *        [--buffer '{"commitIntervalMs":10}'] [--cpu-prof DIR]
 *
 * Without --mosquitto-url a private mosquitto is spawned on a free port (unbounded queues, so
 * its subscriber receives every message). The agent runs as its own process with the uplink
 * off, exactly as in production otherwise (synchronous=full by default: every commit fsynced).
 * Per round it prints the CPU µs per message of each broker process (from /proc, all threads)
 * and of this load generator: on a shared machine CPU per message moves less than the rates.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { AGENT_ENTRY, startAgentProcess } from '../test/support/agent-process.js';
import { vehicles, writeRegistry, type TestDevice } from '../test/support/fleet.js';
import { benchOptions } from './bench-options.js';
import { spawnMosquitto } from './peer-mosquitto.js';

const USAGE = `node --import tsx edge/bench/intake.ts [--messages 20000] [--clients 8] [--window 32]
     [--rounds 5] [--mosquitto-url mqtt://127.0.0.1:11883] [--synchronous full|normal]
     [--buffer '{"commitIntervalMs":10}'] [--cpu-prof DIR]
  --messages       QoS 1 messages per round and side, spread over --clients
  --window         messages in flight per client
  --mosquitto-url  an existing Mosquitto instead of a private one
  --synchronous    the agent buffer's SQLite synchronous setting
  --buffer         extra buffer options as JSON
  --cpu-prof       write a V8 CPU profile of the agent process into this folder`;

const values = benchOptions(USAGE, { messages: '20000', clients: '8', window: '32', rounds: '5', 'mosquitto-url': '', synchronous: 'full', buffer: '{}', 'cpu-prof': '' });
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


/** Mean receipt-to-commit latency over the whole run, from the agent's own histogram. */
async function commitLatency(httpUrl: string): Promise<string> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const count = read('fleetwire_intake_commit_latency_seconds_count');
  const mean = (read('fleetwire_intake_commit_latency_seconds_sum') / count) * 1000;
  return `mean ${mean.toFixed(1)} ms over ${count} messages`;
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

/**
 * Runs a round; returns its rate and the CPU µs per message spent by the given broker process
 * and by this load generator (its clients, and for Mosquitto also the subscriber).
 */
async function measured(pid: number | undefined, round: () => Promise<number>): Promise<{ rate: number; cpuUs: number; loadCpuUs: number }> {
  const before = cpuSeconds(pid);
  const load = process.cpuUsage();
  const rate = await round();
  const { user, system } = process.cpuUsage(load);
  return { rate, cpuUs: ((cpuSeconds(pid) - before) / TOTAL) * 1e6, loadCpuUs: (user + system) / TOTAL };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-bench-intake-'));
  const agent = await startAgentProcess(
    {
      nodeId: 'bench-node',
      dataDir: join(dir, 'data'),
      devices: { registryFile: await writeRegistry(dir, devices) },
      mqtt: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      buffer: { ...(JSON.parse(values.buffer) as Record<string, unknown>), synchronous: values.synchronous },
    },
    dir,
    'edge.json',
    [process.execPath, ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []), '--import', 'tsx', AGENT_ENTRY],
  );
  const mosquitto = values['mosquitto-url'] ? { url: values['mosquitto-url'], child: undefined } : await spawnMosquitto(dir);
  const agentRates: number[] = [];
  const mosquittoRates: number[] = [];
  const agentCpu: number[] = [];
  try {
    console.log(`load: ${TOTAL} QoS 1 messages (~${payload('VH-B000', 'x', 0).length} B), ${CLIENTS} clients, window ${WINDOW}; agent synchronous=${values.synchronous}`);
    for (let round = 1; round <= ROUNDS; round++) {
      const viaMosquitto = await measured(mosquitto.child?.pid, () => mosquittoRound(mosquitto.url, round));
      const viaAgent = await measured(agent.child.pid, () => agentRound(agent.addresses.mqtt as string, round));
      mosquittoRates.push(viaMosquitto.rate);
      agentRates.push(viaAgent.rate);
      agentCpu.push(viaAgent.cpuUs);
      console.log(
        `round ${round}: mosquitto → subscriber ${viaMosquitto.rate.toFixed(0)} msg/s (cpu ${viaMosquitto.cpuUs.toFixed(1)} µs/msg, load generator ${viaMosquitto.loadCpuUs.toFixed(1)}); ` +
          `edge agent durable ${viaAgent.rate.toFixed(0)} msg/s (cpu ${viaAgent.cpuUs.toFixed(1)} µs/msg, load generator ${viaAgent.loadCpuUs.toFixed(1)}); ` +
          `ratio ${(viaAgent.rate / viaMosquitto.rate).toFixed(2)}; load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    console.log(`agent commit latency: ${await commitLatency(agent.addresses.http as string)}`);
    // The machine is shared and noisy: the median of per-round ratios (each round runs both
    // peers back to back) is steadier than a ratio of medians.
    const ratios = agentRates.map((rate, i) => rate / (mosquittoRates[i] as number));
    console.log(
      `median: edge agent ${median(agentRates).toFixed(0)} msg/s (cpu ${median(agentCpu).toFixed(1)} µs/msg), mosquitto ${median(mosquittoRates).toFixed(0)} msg/s, ` +
        `median per-round ratio ${median(ratios).toFixed(2)} (target ≥ 1.0); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    );
  } finally {
    await agent.kill('SIGTERM');
    mosquitto.child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
