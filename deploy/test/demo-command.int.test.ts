/**
 * The README's first command, as a user runs it: `fleetwire demo` in its own process, serving
 * its URLs, moving records from the simulated fleet to the cloud, verifying the returns the
 * simulated mobile app uploads, unlocking a booked vehicle through the commands API, stopping
 * cleanly on Ctrl-C (SIGINT), and reusing its data on a
 * second run; and the same command against real Kafka and VictoriaMetrics (--kafka, --tsdb).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BUS_TOPICS, type FleetRecord } from '@fleetwire/protocol';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { fetchMetrics, sumMetric } from '../src/demo/metrics-text.js';
import { eventsInLog, exportSeries, readBetween, topicEnds } from './support/fleet-readback.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PORTS = { mqtt: 21_983, edgeHttp: 21_980, edgePhoto: 21_982, cloud: 21_990 };
const dataDir = mkdtempSync(join(tmpdir(), 'fleetwire-demo-'));
/** The run against real servers: its own folder and ports. */
const SERVERS_RUN = { dataDir: mkdtempSync(join(tmpdir(), 'fleetwire-demo-servers-')), ports: { mqtt: 21_984, edgeHttp: 21_981, edgePhoto: 21_985, cloud: 21_991 } };

interface DemoProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDemo(run: { dataDir: string; ports: typeof PORTS } = { dataDir, ports: PORTS }, extra: string[] = []): DemoProcess {
  const child = spawn(
    process.execPath,
    [
      // Not the tsx CLI: its wrapper process SIGKILLs a child that does not answer a relayed
      // SIGINT within 30 ms, which a busy machine turns into an unclean stop.
      '--import', 'tsx',
      'deploy/src/cli/main.ts', 'demo',
      '--data-dir', run.dataDir, '--vehicles', '8', '--chargers', '2', '--speed', '120',
      '--edge-mqtt-port', String(run.ports.mqtt), '--edge-http-port', String(run.ports.edgeHttp), '--edge-photo-port', String(run.ports.edgePhoto), '--cloud-port', String(run.ports.cloud),
      ...extra,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => text, exited };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function acceptedByCloud(ports = PORTS): Promise<number> {
  return sumMetric(await fetchMetrics(`http://127.0.0.1:${ports.cloud}/metrics`), 'fleetwire_ingest_records_total', { outcome: 'accepted' });
}

/** The headers of every message in the cloud's embedded log (read-only; the demo must be stopped). */
function cloudLogHeaders(): Array<Record<string, string>> {
  const db = new Database(join(dataDir, 'cloud', 'bus.sqlite'), { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'log_%'").pluck().all() as string[];
    return tables.flatMap((table) => (db.prepare(`SELECT headers FROM "${table}"`).pluck().all() as string[]).map((h) => JSON.parse(h) as Record<string, string>));
  } finally {
    db.close();
  }
}

/** The fleet records' ids (the services' checkpoints on the bus carry none). */
const idsInCloudLog = (): string[] => cloudLogHeaders().flatMap((h) => (h['fw-id'] === undefined ? [] : [h['fw-id']]));

/** An item of GET /v1/commands (docs/commands.md). */
interface CommandView {
  commandId: string;
  type: string;
  vehicleId: string;
  bookingId?: string;
  nodeId?: string;
  status: string;
  outcomeEventId?: string;
  requestedBy: string;
}


async function edgeMetric(name: string): Promise<number> {
  return sumMetric(await fetchMetrics(`http://127.0.0.1:${PORTS.edgeHttp}/metrics`), name);
}

afterAll(() => {
  for (const folder of [dataDir, SERVERS_RUN.dataDir]) rmSync(folder, { recursive: true, force: true });
});

describe('fleetwire demo', () => {
  // Longer than the default: a closed return saga comes after a verdict, the fleet decision, the payment request and its answer.
  it('serves its URLs, moves fleet records to the cloud, verifies returns, and stops cleanly on SIGINT', async () => {
    const demo = startDemo();
    let unlocked: CommandView | undefined;
    try {
      await waitFor('the ready banner', () => (demo.output().includes('press Ctrl-C to stop') ? true : undefined));
      const out = demo.output();
      for (const url of [`http://127.0.0.1:${PORTS.edgeHttp}/metrics`, `http://127.0.0.1:${PORTS.cloud}/metrics`, `mqtt://127.0.0.1:${PORTS.mqtt}`, `http://127.0.0.1:${PORTS.cloud}/dashboard`]) {
        expect(out).toContain(url);
      }
      expect((await fetch(`http://127.0.0.1:${PORTS.edgeHttp}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${PORTS.cloud}/readyz`)).status).toBe(200);
      // Records travel device → edge → cloud: the cloud's accepted count grows past the fleet size.
      await waitFor('records accepted by the cloud', async () => ((await acceptedByCloud()) >= 20 ? true : undefined));
      // Trips end, the simulated app uploads photos, the edge's models give verdicts.
      await waitFor('a verified return', async () => ((await edgeMetric('fleetwire_vision_returns_total')) >= 1 ? true : undefined));
      // The fleet state behind the dashboard knows the simulated vehicles, and the verdict
      // reached the cloud (awaited here: the edge may still hold it at Ctrl-C otherwise).
      const fleetApi = async <T>(path: string): Promise<T> => (await (await fetch(`http://127.0.0.1:${PORTS.cloud}/v1/fleet/${path}`)).json()) as T;
      await waitFor('the fleet API to know every vehicle', async () => ((await fleetApi<{ vehicles: unknown[] }>('vehicles')).vehicles.length === 8 ? true : undefined));
      await waitFor('a ReturnVerified event in the cloud', async () =>
        (await fleetApi<{ events: Array<{ type: string }> }>('events?limit=200')).events.some((e) => e.type === 'ReturnVerified') ? true : undefined);
      expect((await fetch(`http://127.0.0.1:${PORTS.cloud}/dashboard`)).status).toBe(200);
      // The return saga takes a verdict to a fleet decision, asks the payment service, and closes on its answer.
      await waitFor('a closed return saga', async () => {
        const { returns } = (await (await fetch(`http://127.0.0.1:${PORTS.cloud}/v1/returns`)).json()) as { returns: Array<{ state: string }> };
        return returns.some((r) => r.state === 'completed' || r.state === 'payment_failed') ? true : undefined;
      });
      // The dashboard's map holds the simulated city's sites, each with its return zone.
      const map = (await (await fetch(`http://127.0.0.1:${PORTS.cloud}/v1/dashboard/map`)).json()) as { areas: Array<{ id: string; role: string }> };
      expect(map.areas.filter((a) => a.role === 'site').map((a) => `${a.id}-return`)).toEqual(map.areas.filter((a) => a.role === 'return').map((a) => a.id));
      expect(map.areas.length).toBeGreaterThan(0);
      // The booking service unlocked a booked vehicle through the commands API: the command log has it succeeded, the demo said so.
      unlocked = await waitFor('an unlock command that succeeded', async () => {
        const { commands } = (await (await fetch(`http://127.0.0.1:${PORTS.cloud}/v1/commands?limit=50`)).json()) as { commands: CommandView[] };
        return commands.find((c) => c.type === 'UnlockVehicle' && c.status === 'succeeded');
      });
      expect(unlocked).toMatchObject({ requestedBy: 'service:booking', nodeId: expect.any(String) });
      await waitFor('the demo printing the outcome', () => (demo.output().includes(`unlock command ${unlocked!.commandId} for booking ${unlocked!.bookingId} on ${unlocked!.vehicleId}: succeeded`) ? true : undefined));
    } finally {
      demo.child.kill('SIGINT');
    }
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('stopped cleanly');
    expect(demo.output()).not.toMatch(/Error|unhandled/i);
    // Each verdict reached the cloud as a ReturnVerified event (critical: it leaves the edge first).
    expect(cloudLogHeaders().filter((h) => h['fw-schema'] === 'ReturnVerified.v1').length).toBeGreaterThanOrEqual(1);
    // The booking flow end to end: bookings and payments from the simulated booking and payment
    // services (through the business events API), unlocks and trips from the vehicles.
    const events = eventsInLog(join(dataDir, 'cloud', 'bus.sqlite'));
    const types = new Set(events.map((e) => e.payload.type));
    for (const type of ['VehicleBooked', 'VehicleUnlocked', 'TripStarted', 'TripEnded', 'ReturnVerified', 'PaymentProcessed'] as const) expect(types, type).toContain(type);
    const bookings = events.filter((e) => e.payload.type === 'VehicleBooked');
    const payments = events.filter((e) => e.payload.type === 'PaymentProcessed');
    expect(bookings.every((e) => e.source.kind === 'service' && e.source.id === 'booking' && e.payload.source === 'service:booking')).toBe(true);
    expect(payments.every((e) => e.source.kind === 'service' && e.source.id === 'payment')).toBe(true);
    // Every payment answers the return saga's request for a booking the booking service published, once.
    const bookingIds = new Set(bookings.map((e) => (e.payload.data as { bookingId: string }).bookingId));
    const charged = payments.map((e) => (e.payload.data as { bookingId: string }).bookingId);
    expect(new Set(charged).size).toBe(charged.length);
    expect(charged.every((id) => bookingIds.has(id))).toBe(true);
    // The unlock's outcome is the edge's VehicleUnlocked for that booking, sent on the vehicle's acknowledgement.
    expect([...new Set(events.filter((e) => e.payload.correlationId === unlocked!.commandId).map((e) => `${e.source.kind}:${e.payload.type}`))].sort())
      .toEqual(['cloud:UnlockVehicle', 'edge:VehicleUnlocked', 'vehicle:CommandAcknowledged']);
    expect(events.find((e) => e.id === unlocked!.outcomeEventId)?.payload).toMatchObject({ type: 'VehicleUnlocked', data: { method: 'remote', bookingId: unlocked!.bookingId, vehicleId: unlocked!.vehicleId } });
    const bookingsOf = (type: string) => events.filter((e) => e.payload.type === type).map((e) => (e.payload.data as { bookingId: string }).bookingId);
    const requested = bookingsOf('PaymentRequested');
    expect(charged.filter((id) => !requested.includes(id))).toEqual([]);
    // Each fleet decision followed a verdict, and at least one saga ran to its close.
    const verified = bookingsOf('ReturnVerified');
    expect(bookingsOf('FleetDecisionMade').filter((id) => !verified.includes(id))).toEqual([]);
    expect(bookingsOf('ReturnClosed').length).toBeGreaterThan(0);
    expect(cloudLogHeaders().filter((h) => h['fw-kind'] === 'dead_letter')).toEqual([]);
  }, 180_000);

  it('reuses the data of the first run (same secrets, device registry and buffer file) and never reuses its message ids', async () => {
    const firstRun = new Set(idsInCloudLog());
    expect(firstRun.size).toBeGreaterThanOrEqual(20);
    const secrets = readFileSync(join(dataDir, 'secrets.json'), 'utf8');
    const bufferFile = join(dataDir, 'edge', 'buffer.sqlite');
    const createdBefore = statSync(bufferFile).birthtimeMs;
    const registryWritten = statSync(join(dataDir, 'devices.json')).mtimeMs;
    const demo = startDemo();
    try {
      await waitFor('the ready banner', () => (demo.output().includes('press Ctrl-C to stop') ? true : undefined));
      await waitFor('records accepted by the cloud', async () => ((await acceptedByCloud()) >= 5 ? true : undefined));
    } finally {
      demo.child.kill('SIGINT');
    }
    expect(await demo.exited).toBe(0);
    expect(statSync(join(dataDir, 'devices.json')).mtimeMs).toBe(registryWritten);
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toBe(secrets);
    expect(statSync(bufferFile).birthtimeMs).toBe(createdBefore);
    // Every run is a new boot of every simulated device: the same seed must not repeat an id,
    // or a consumer deduplicating by id would drop the second run's records.
    const secondRun = idsInCloudLog().filter((id) => !firstRun.has(id));
    expect(secondRun.length).toBeGreaterThanOrEqual(5);
    expect(idsInCloudLog().length).toBe(firstRun.size + secondRun.length);
  });

  it('runs against real Kafka and VictoriaMetrics given --kafka and --tsdb', async () => {
    const brokers = inject('kafkaBrokers');
    const before = await topicEnds(brokers, [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.events]);
    const startedAt = Date.now();
    const demo = startDemo(SERVERS_RUN, ['--kafka', brokers.join(','), '--tsdb', inject('victoriaMetricsUrl')]);
    try {
      await waitFor('the ready banner', () => (demo.output().includes('press Ctrl-C to stop') ? true : undefined));
      expect(demo.output()).toContain(`Kafka ${brokers.join(',')}`);
      await waitFor('records accepted by the cloud', async () => ((await acceptedByCloud(SERVERS_RUN.ports)) >= 20 ? true : undefined));
      await waitFor('a payment through the business events API, read back by the fleet service from Kafka', async () => {
        const answer = await fetch(`http://127.0.0.1:${SERVERS_RUN.ports.cloud}/v1/fleet/events?limit=200`);
        return ((await answer.json()) as { events: Array<{ type: string }> }).events.some((e) => e.type === 'PaymentProcessed') ? true : undefined;
      });
    } finally {
      demo.child.kill('SIGINT');
    }
    expect(await demo.exited).toBe(0);
    const events = (await readBetween(brokers, before, await topicEnds(brokers, [BUS_TOPICS.events])))
      .map((message) => JSON.parse(message.value.toString('utf8')) as FleetRecord)
      .filter((record) => record.receivedAt >= startedAt && record.kind === 'event' && record.source.kind === 'service');
    const businessTypes = new Set(events.map((record) => (record.kind === 'event' ? record.payload.type : '')));
    expect(businessTypes).toContain('VehicleBooked');
    expect(businessTypes).toContain('PaymentProcessed');
    // Nothing in the embedded log: the records went to Kafka, vehicle readings to VictoriaMetrics.
    expect(existsSync(join(SERVERS_RUN.dataDir, 'cloud', 'bus.sqlite'))).toBe(false);
    const readings = (await readBetween(brokers, before, await topicEnds(brokers, [BUS_TOPICS.vehicleTelemetry])))
      .map((message) => JSON.parse(message.value.toString('utf8')) as FleetRecord)
      .filter((record) => record.receivedAt >= startedAt);
    expect(readings.length).toBeGreaterThanOrEqual(10);
    const wanted = new Set(readings.map((r) => `${r.source.id}@${r.deviceTime}`));
    const stored = async (): Promise<number> => {
      const series = await exportSeries(inject('victoriaMetricsUrl'), '{__name__=~"vehicle_.+"}', startedAt - 60_000, Date.now() + 60_000);
      const seen = new Set(series.flatMap((s) => s.timestamps.map((t) => `${s.metric.vehicle_id}@${t}`)));
      return [...wanted].filter((key) => seen.has(key)).length;
    };
    await expect.poll(stored, { timeout: 30_000, interval: 1_000 }).toBeGreaterThanOrEqual(10);
  });

  it('says in one line, exit 2, that its cloud port is taken, and leaves no stack trace', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(SERVERS_RUN.ports.cloud, '127.0.0.1', resolve));
    try {
      const demo = startDemo({ dataDir: mkdtempSync(join(tmpdir(), 'fleetwire-demo-busy-')), ports: SERVERS_RUN.ports });
      expect(await demo.exited).toBe(2);
      expect(demo.output()).toContain(`fleetwire demo: cannot listen on 127.0.0.1:${SERVERS_RUN.ports.cloud}: EADDRINUSE`);
      expect(demo.output()).not.toMatch(/^\s+at /m);
    } finally {
      holder.close();
    }
  });
});
