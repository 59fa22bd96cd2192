/**
 * The fleet state, maintenance and analytics services scaled out over real Kafka: two cloud
 * processes share each service's stable groups over a four-partition bus while a simulated fleet
 * streams in; one is SIGKILLed mid-stream (its partitions move to the other, which resumes them
 * from their checkpoints) and started again (they move back). Afterwards both instances show the
 * same fleet as a single-instance reference run over the same input, the MaintenanceRequired
 * events are the same set of ids, the analytics reports (daily usage per day and site, demand
 * spikes, the newest fleet snapshot) are the reference's — every copy of an id with the same
 * data — and the only consumer groups of the runs are the stable ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { BUS_TOPICS, fromBusValue, HOUR_MS, toBusMessage, trustedTime, type EventRecord, type FleetRecord } from '@fleetwire/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Bus } from '../src/bus/bus.js';
import { createKafkaBus } from '../src/bus/kafka/kafka-bus.js';
import { createCheckpointStore } from '../src/services/checkpointed/checkpoint-store.js';
import { booked, paid } from './support/analytics-records.js';
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
  analyticsGroup: string;
}

const setupOf = (name: string): Setup => ({
  prefix: `svc-${run}-${name}.`, fleetGroup: `fleet-${run}-${name}`, maintenanceGroup: `maintenance-${run}-${name}`, analyticsGroup: `analytics-${run}-${name}`,
});
/**
 * Longer than the bus's session timeout (10 s) and a restore: a killed member's partitions move
 * before their silence lets the days they hold back close. The last days close after it.
 */
const IDLE_PARTITION_MS = 30_000;
const DAILY_LATENESS_MS = 2 * HOUR_MS;

function configFile(setup: Setup): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-scale-'));
  dirs.push(dir);
  const checkpoints = { checkpointIntervalMs: 500, checkpointRecords: 200, viewRefreshMs: 2000, readyMaxLag: 0 };
  const config = {
    dataDir: dir, logLevel: 'info', http: { host: '127.0.0.1', port: 0 },
    bus: { kind: 'kafka', brokers, partitions: PARTITIONS, replicationFactor: 1, topics: { prefix: setup.prefix } },
    // Every event kept, so the fleet's event list is the whole input whatever the reports in between.
    fleet: { groupId: setup.fleetGroup, offlineAfterMs: 3_600_000, maxRecentEvents: 1000, ...checkpoints },
    maintenance: { groupId: setup.maintenanceGroup, ...checkpoints },
    analytics: {
      groupId: setup.analyticsGroup, idlePartitionMs: IDLE_PARTITION_MS, dailyLatenessMs: DAILY_LATENESS_MS, spikeWarmupDays: 1, snapshotIntervalMs: 5000,
      ...checkpoints,
    },
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
  // The services' own events carry the time they were produced, which differs between the runs;
  // analytics' reports (compared below) come when each run's clock closes them.
  events: ((await getJson(instance, '/v1/fleet/events?limit=1000')) as { events: Array<{ source: string; receivedAt: number }> }).events
    .filter((event) => event.source !== 'cloud:analytics')
    .map((event) => (event.source === 'cloud:maintenance' ? { ...event, receivedAt: 0 } : event)),
});

/**
 * A simulated fleet: parked vehicles read every 30 minutes (some with a leaking tyre or a tiring
 * 12 V battery), chargers, and a booked, driven and paid trip a day per vehicle at one of two
 * sites — a payment is keyed by its booking, so its site comes from another partition — with a
 * demand surge of six more bookings at site-0 in the third day's 01:00 window.
 */
function simulatedFleet(): FleetRecord[] {
  const records: FleetRecord[] = [];
  for (let v = 0; v < 10; v++) {
    const wear = v % 3 === 0 ? { leak: { tyre: 'rl' as const, kpaPerDay: 10 } } : v % 3 === 1 ? { auxVPerDay: 0.08 } : {};
    records.push(...parkedReadings(`VH-${v}`, 4, wear));
    for (let trip = 0; trip < 3; trip++) {
      const at = T0 + trip * DAY + HOUR_MS + (v + 1) * 60_000;
      const subject = { kind: 'vehicle' as const, id: `VH-${v}` };
      const bookingId = `bk-${v}-${trip}`;
      records.push(booked(2000 + 10 * v + trip, at - 30_000, { vehicleId: `VH-${v}`, siteId: `site-${v % 2}`, bookingId }));
      records.push(eventRecord('TripStarted', { vehicleId: `VH-${v}`, tripId: `T-${v}-${trip}`, bookingId }, { source: subject, subject, at, seq: 10 * v + trip }));
      records.push(eventRecord('TripEnded', { vehicleId: `VH-${v}`, tripId: `T-${v}-${trip}`, bookingId, distanceKm: 3 + v, durationS: 600, energyUsedKwh: 0.5 }, {
        source: subject, subject, at: at + 600_000, seq: 1000 + 10 * v + trip,
      }));
      records.push(paid(3000 + 10 * v + trip, at + 900_000, { bookingId, amountMinor: 500 + v }));
    }
  }
  for (let n = 0; n < 6; n++) {
    records.push(booked(4000 + n, T0 + 2 * DAY + HOUR_MS + n * 60_000 + 45_000, { vehicleId: `VH-${n}`, siteId: 'site-0', bookingId: `bk-surge-${n}` }));
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
    [setup.analyticsGroup, [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry, BUS_TOPICS.events]],
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

/** Every event on the run's events topic, in offset order per partition. */
async function eventsOf(setup: Setup): Promise<EventRecord[]> {
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
  return messages.flatMap((m) => {
    const verdict = fromBusValue(m.value);
    return verdict.ok && verdict.value.kind === 'event' ? [verdict.value] : [];
  });
}

const maintenanceEventIds = async (setup: Setup): Promise<string[]> =>
  [...new Set((await eventsOf(setup)).filter((e) => e.payload.type === 'MaintenanceRequired').map((e) => e.id))].sort();

/**
 * The analytics reports of a run by id, each id once: every copy of an id (a report emitted again
 * after a restart) must carry the same data, or the run counted something twice or missed it.
 */
async function analyticsReports(setup: Setup): Promise<{ daily: Record<string, unknown>; spikes: Record<string, unknown>; snapshots: Map<string, unknown> }> {
  const reports = { daily: {} as Record<string, unknown>, spikes: {} as Record<string, unknown>, snapshots: new Map<string, unknown>() };
  for (const event of await eventsOf(setup)) {
    if (event.payload.source !== 'cloud:analytics') continue;
    const into = event.payload.type === 'DailyUsageReport' ? reports.daily : event.payload.type === 'DemandSpike' ? reports.spikes : undefined;
    if (into !== undefined) {
      if (into[event.id] !== undefined) expect(event.payload.data, event.id).toEqual(into[event.id]);
      into[event.id] = event.payload.data;
    } else reports.snapshots.set(event.id, event.payload.data);
  }
  return reports;
}

describe('fleet, maintenance and analytics services scaled out over Kafka', () => {
  it('two instances, one SIGKILLed mid-stream and restarted, end with the fleet, the findings and the reports of a single-instance run', async () => {
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
      // The input's events and the maintenance findings.
      expect(expected.events.length).toBeGreaterThan(input.filter((r) => r.kind === 'event').length);
      // Every instance shows the whole fleet: its own partitions live, the others' from their checkpoints.
      for (const instance of [a, again]) await expect.poll(() => fleetView(instance), { timeout: 120_000, interval: 2000 }).toEqual(expected);

      step('fleet views equal');
      const expectedEvents = await maintenanceEventIds(reference);
      expect(expectedEvents.length).toBeGreaterThan(0);
      expect(await maintenanceEventIds(scaled)).toEqual(expectedEvents);

      // The kill took over from checkpoints: the survivor restored partitions it did not hold.
      expect(a.output.some((l) => l.includes('service_partition_restored') && !l.includes('"next":0'))
        || again.output.some((l) => l.includes('service_partition_restored') && !l.includes('"next":0'))).toBe(true);

      // Analytics: once every partition fell silent, the days the input reaches past close (end +
      // lateness before its newest record), fleet-wide and per site, in both runs.
      const newest = Math.max(...input.map((r) => trustedTime(r)));
      const closable = [0, 1, 2, 3, 4].map((d) => T0 + d * DAY).filter((start) => start + DAY + DAILY_LATENESS_MS <= newest);
      expect(closable).toHaveLength(3);
      await expect.poll(async () => Object.keys((await analyticsReports(reference)).daily).length, { timeout: IDLE_PARTITION_MS * 4, interval: 2000 })
        .toBe(closable.length * 3);
      const expectedReports = await analyticsReports(reference);
      const fleetWide = Object.values(expectedReports.daily).filter((r) => (r as { siteId?: string }).siteId === undefined) as Array<{ bookings: number; trips: number; revenueMinor: number }>;
      // Nothing missed, nothing twice: 10 bookings, trips and payments a day, 6 more bookings on the third.
      expect(fleetWide.map((r) => [r.bookings, r.trips])).toEqual([[10, 10], [10, 10], [16, 10]]);
      expect(fleetWide.every((r) => r.revenueMinor === 5045)).toBe(true);
      expect(Object.values(expectedReports.spikes)).toEqual([expect.objectContaining({ siteId: 'site-0', bookings: 11, baseline: 5 })]);
      step('reference reports closed');
      await expect.poll(async () => {
        const { daily, spikes } = await analyticsReports(scaled);
        return { daily, spikes };
      }, { timeout: IDLE_PARTITION_MS * 4, interval: 2000 }).toEqual({ daily: expectedReports.daily, spikes: expectedReports.spikes });
      // The newest snapshot of each run: the same fleet, judged by the same rules.
      const newestSnapshot = async (setup: Setup) => [...(await analyticsReports(setup)).snapshots.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).at(-1)?.[1];
      const expectedSnapshot = await newestSnapshot(reference);
      expect(expectedSnapshot).toMatchObject({ vehicles: { total: 10 }, chargers: { total: 4 } });
      await expect.poll(() => newestSnapshot(scaled), { timeout: 30_000, interval: 2000 }).toEqual(expectedSnapshot);
      step('analytics reports equal');

      // Restarts joined the stable groups again: no group of these runs but the stable ones.
      const created = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => !groupsBefore.has(g) && g.includes(run));
      expect(created.sort()).toEqual([reference, scaled].flatMap((s) => [s.fleetGroup, s.maintenanceGroup, s.analyticsGroup, `${s.analyticsGroup}-reports`]).sort());
    } finally {
      for (const child of children) child.kill('SIGTERM');
      await admin.disconnect();
      await refBus.close();
      await scaledBus.close();
    }
  }, 900_000);
});
