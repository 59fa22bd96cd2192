/**
 * The fleet state and maintenance services scaled out over real Kafka: two cloud processes share
 * each service's stable group over a four-partition bus while a simulated fleet streams in; one
 * is SIGKILLed mid-stream (its partitions move to the other, which resumes them from their
 * checkpoints) and started again (they move back). Afterwards both instances show the same
 * fleet as a single-instance reference run over the same input, the MaintenanceRequired events
 * are the same set of ids, and the only consumer groups of the runs are the four stable ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { BUS_TOPICS, fromBusValue, toBusMessage, type FleetRecord } from '@fleetwire/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Bus } from '../src/bus/bus.js';
import { createKafkaBus } from '../src/bus/kafka/kafka-bus.js';
import { createCheckpointStore } from '../src/services/checkpointed/checkpoint-store.js';
import { connectorReading, eventRecord } from './support/fleet-records.js';
import { DAY, T0, parkedReadings } from './support/maintenance-readings.js';
import { readTopics } from './support/kafka.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = randomUUID().slice(0, 8);
const brokers = inject('kafkaBrokers');
const PARTITIONS = 4;
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  prefix: string;
  fleetGroup: string;
  maintenanceGroup: string;
}

const setupOf = (name: string): Setup => ({
  prefix: `svc-${run}-${name}.`, fleetGroup: `fleet-${run}-${name}`, maintenanceGroup: `maintenance-${run}-${name}`,
});

function configFile(setup: Setup): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-scale-'));
  dirs.push(dir);
  const checkpoints = { checkpointIntervalMs: 500, checkpointRecords: 200, viewRefreshMs: 2000, readyMaxLag: 0 };
  const config = {
    dataDir: dir, logLevel: 'info', http: { host: '127.0.0.1', port: 0 },
    bus: { kind: 'kafka', brokers, partitions: PARTITIONS, replicationFactor: 1, topics: { prefix: setup.prefix } },
    fleet: { groupId: setup.fleetGroup, offlineAfterMs: 3_600_000, ...checkpoints },
    maintenance: { groupId: setup.maintenanceGroup, ...checkpoints },
    analytics: { enabled: false },
    audit: { enabled: false },
    // Not what is compared here: the saga and the commands service run as one instance (a SQLite
    // store each), and their own events would join the fleet's event lists in one run, not the other.
    returns: { enabled: false },
    commands: { enabled: false },
  };
  const file = join(dir, 'cloud.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

interface Instance {
  child: ChildProcess;
  address: string;
  output: string[];
}

const began = Date.now();
/** Where the long test is, for whoever watches it run. */
const step = (what: string): void => console.log(`[${((Date.now() - began) / 1000).toFixed(1)} s] ${what}`);

async function startInstance(config: string): Promise<Instance> {
  // Not the tsx CLI: its wrapper would relay the SIGKILL to nothing and leave the cloud running.
  const child = spawn(process.execPath, ['--import', 'tsx', 'deploy/src/cli/main.ts', 'cloud', 'serve', '--config', config], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output: string[] = [];
  const keep = (line: string): void => {
    output.push(line);
    if (process.env.FLEETWIRE_SCALE_LOG !== undefined) appendFileSync(`${process.env.FLEETWIRE_SCALE_LOG}-${child.pid}.log`, `${line}\n`);
  };
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', keep);
  child.once('exit', (code, signal) => keep(`exited: ${code ?? signal}`));
  const address = await new Promise<string>((resolveAddress, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      keep(line);
      if (line.includes('"cloud_started"')) resolveAddress((JSON.parse(line) as { address: string }).address);
    });
    child.once('exit', (code, signal) => reject(new Error(`cloud exited (${code ?? signal}) before starting:\n${output.join('\n')}`)));
  });
  return { child, address, output };
}

const getJson = async (instance: Instance, path: string): Promise<unknown> => (await fetch(`${instance.address}${path}`, { signal: AbortSignal.timeout(30_000) })).json();

/** What the fleet API shows: vehicles, chargers and the recent events. */
const fleetView = async (instance: Instance) => ({
  vehicles: ((await getJson(instance, '/v1/fleet/vehicles')) as { vehicles: unknown[] }).vehicles,
  chargers: ((await getJson(instance, '/v1/fleet/chargers')) as { chargers: unknown[] }).chargers,
  // The services' own events carry the time they were produced, which differs between the runs.
  events: ((await getJson(instance, '/v1/fleet/events?limit=50')) as { events: Array<{ source: string; receivedAt: number }> }).events
    .map((event) => (event.source === 'cloud:maintenance' ? { ...event, receivedAt: 0 } : event)),
});

/** A simulated fleet: parked vehicles read every 30 minutes (some with a leaking tyre or a tiring 12 V battery), trips and chargers. */
function simulatedFleet(): FleetRecord[] {
  const records: FleetRecord[] = [];
  for (let v = 0; v < 10; v++) {
    const wear = v % 3 === 0 ? { leak: { tyre: 'rl' as const, kpaPerDay: 10 } } : v % 3 === 1 ? { auxVPerDay: 0.08 } : {};
    records.push(...parkedReadings(`VH-${v}`, 4, wear));
    for (let trip = 0; trip < 3; trip++) {
      const at = T0 + trip * DAY + v * 60_000;
      const subject = { kind: 'vehicle' as const, id: `VH-${v}` };
      records.push(eventRecord('TripStarted', { vehicleId: `VH-${v}`, tripId: `T-${v}-${trip}` }, { source: subject, subject, at, seq: 10 * v + trip }));
      records.push(eventRecord('TripEnded', { vehicleId: `VH-${v}`, tripId: `T-${v}-${trip}` }, { source: subject, subject, at: at + 600_000, seq: 1000 + 10 * v + trip }));
    }
  }
  for (let c = 0; c < 4; c++) {
    for (let i = 0; i < 50; i++) records.push(connectorReading(`CH-${c}`, i, T0 + i * 1_800_000, { status: i % 2 === 0 ? 'Available' : 'Charging', sessionId: null }));
  }
  // Interleaved in time, as a fleet sends.
  return records.sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : 1));
}

async function caughtUp(bus: Bus, admin: ReturnType<Kafka['admin']>, setup: Setup): Promise<boolean> {
  const store = createCheckpointStore(bus);
  for (const [group, topics] of [
    [setup.fleetGroup, [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry, BUS_TOPICS.events]],
    [setup.maintenanceGroup, [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.events]],
  ] as const) {
    const checkpoints = await store.load(group);
    for (const topic of topics) {
      for (const { partition, high } of await admin.fetchTopicOffsets(`${setup.prefix}${topic}`)) {
        if (Number(high) === 0) continue;
        if (checkpoints.get(`${topic}#${partition}`)?.next !== Number(high)) return false;
      }
    }
  }
  return true;
}

async function maintenanceEventIds(setup: Setup): Promise<string[]> {
  const end = await (async () => {
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(`${setup.prefix}${BUS_TOPICS.events}`)).reduce((sum, p) => sum + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  })();
  const messages = await readTopics(brokers, [`${setup.prefix}${BUS_TOPICS.events}`], (m) => m.length >= end);
  const ids = messages.flatMap((m) => {
    const verdict = fromBusValue(m.value);
    return verdict.ok && verdict.value.kind === 'event' && verdict.value.payload.type === 'MaintenanceRequired' ? [verdict.value.id] : [];
  });
  return [...new Set(ids)].sort();
}

describe('fleet and maintenance services scaled out over Kafka', () => {
  it('two instances, one SIGKILLed mid-stream and restarted, end with the fleet and the findings of a single-instance run', async () => {
    const reference = setupOf('ref');
    const scaled = setupOf('two');
    const input = simulatedFleet();
    const busOf = (setup: Setup) => createKafkaBus({ kind: 'kafka', brokers, partitions: PARTITIONS, replicationFactor: 1, topics: { prefix: setup.prefix, settings: {} } });
    const refBus = busOf(reference);
    const scaledBus = busOf(scaled);
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const groupsBefore = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
      const half = Math.floor(input.length / 2);
      const first = input.slice(0, half).map((r) => toBusMessage(r));
      // On a broker that has just started, topics created now are led a moment later: look again.
      for (const bus of [refBus, scaledBus]) {
        await expect.poll(() => bus.prepare(Object.values(BUS_TOPICS)).then(() => true, () => false), { timeout: 30_000, interval: 1000 }).toBe(true);
      }
      await Promise.all([refBus.produce(first), scaledBus.produce(first)]);

      step('input half produced; starting three instances');
      const [single, a, b] = await Promise.all([startInstance(configFile(reference)), startInstance(configFile(scaled)), startInstance(configFile(scaled))]);
      // Both scaled instances hold partitions of both groups before one dies.
      await expect.poll(() => b.output.filter((l) => l.includes('service_partitions_assigned') && !l.includes('"partitions":[]')).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);

      step('b holds partitions');
      const bExited = new Promise((done) => b.child.once('exit', done));
      const rest = input.slice(half);
      const chunk = Math.ceil(rest.length / 4);
      for (let i = 0; i < rest.length; i += chunk) {
        const messages = rest.slice(i, i + chunk).map((r) => toBusMessage(r));
        await Promise.all([refBus.produce(messages), scaledBus.produce(messages)]);
        if (i === 0) b.child.kill('SIGKILL');
      }
      await bExited;
      step('b killed, rest produced; restarting b');
      const again = await startInstance(configFile(scaled));
      step('b restarted');

      await expect.poll(() => caughtUp(refBus, admin, reference), { timeout: 90_000, interval: 1000 }).toBe(true);
      step('reference checkpoints at the end');
      await expect.poll(() => caughtUp(scaledBus, admin, scaled), { timeout: 90_000, interval: 1000 }).toBe(true);
      step('all checkpoints at the end');
      for (const instance of [single, a, again]) await expect.poll(async () => (await fetch(`${instance.address}/readyz`, { signal: AbortSignal.timeout(30_000) })).status, { timeout: 180_000, interval: 1000 }).toBe(200);

      step('all ready');
      const expected = await fleetView(single);
      expect(expected.vehicles).toHaveLength(10);
      expect(expected.chargers).toHaveLength(4);
      expect(expected.events).toHaveLength(50);
      // Every instance shows the whole fleet: its own partitions live, the others' from their checkpoints.
      for (const instance of [a, again]) await expect.poll(() => fleetView(instance), { timeout: 120_000, interval: 2000 }).toEqual(expected);

      step('fleet views equal');
      const expectedEvents = await maintenanceEventIds(reference);
      expect(expectedEvents.length).toBeGreaterThan(0);
      expect(await maintenanceEventIds(scaled)).toEqual(expectedEvents);

      // The kill took over from checkpoints: the survivor restored partitions it did not hold.
      expect(a.output.some((l) => l.includes('service_partition_restored') && !l.includes('"next":0'))
        || again.output.some((l) => l.includes('service_partition_restored') && !l.includes('"next":0'))).toBe(true);

      // Restarts joined the stable groups again: no group of these runs but the four stable ones.
      const created = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => !groupsBefore.has(g) && g.includes(run));
      expect(created.sort()).toEqual([reference.fleetGroup, scaled.fleetGroup, reference.maintenanceGroup, scaled.maintenanceGroup].sort());
    } finally {
      for (const child of children) child.kill('SIGTERM');
      await admin.disconnect();
      await refBus.close();
      await scaledBus.close();
    }
  }, 900_000);
});
