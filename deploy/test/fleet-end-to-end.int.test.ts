/**
 * The whole data path with real servers: a simulated fleet with network drops, duplicates,
 * reordering, skewed clocks and bad messages → the edge agent as its own process (embedded MQTT
 * broker, SQLite buffer, uplink) → cloud ingest → Kafka → the time-series sink → VictoriaMetrics.
 *
 * The simulators' publish ledger is the reference: every id the fleet published and the edge
 * acknowledged must be on the bus (exactly once after dedupe by id), or sit in the edge's
 * quarantine / the DLQ with the reason the ledger expects. The topics are shared by every run,
 * so only the offsets written between two snapshots are read, and within them only the ids of
 * this run's devices and epochs, or of this run's node.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken, resolveCloudConfig, startCloud } from '@fleetwire/cloud';
import { hashPassword } from '@fleetwire/edge';
import { BUS_TOPICS } from '@fleetwire/protocol';
import { createFleetSimulation, deviceRegistry, type FleetStats, type LedgerEntry } from '@fleetwire/simulators';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgentProcess } from '@fleetwire/edge/testing';
import { fetchMetrics, sumMetric } from '../src/demo/metrics-text.js';
import { accountFleet, type FleetAccounting } from './support/fleet-accounting.js';
import { exportSeries, readBetween, readEdgeBuffer, topicEnds, type ExportedSeries, type QuarantineRow } from './support/fleet-readback.js';
import { freePort, sleep, waitUntil } from './support/waiting.js';

const FLEET = { vehicles: 6, chargers: 2, seed: 7301, speed: 60 };
// Rates far above the defaults so that a 20 s run meets every fault several times.
const FAULTS = { drops: 12, skew: 0.25, dupes: 0.05, reorder: 0.04, malformed: 0.02, impossible: 0.02, impersonate: 0.02 };
const RUN_MS = 20_000;
// BatteryLow at 99 %, re-armed only above 149 %: exactly one alert per vehicle seen below 99 %.
const BATTERY_LOW = { thresholdPct: 99, hysteresisPct: 50 };

interface RunFacts {
  nodeId: string;
  startedAt: number;
  stats: FleetStats;
  ledger: LedgerEntry[];
  quarantine: QuarantineRow[];
  lossLedger: Record<string, number>;
  cloudAccepted: number;
  cloudDuplicates: number;
  result: FleetAccounting;
}

const dir = mkdtempSync(join(tmpdir(), 'fleetwire-e2e-'));
const stops: Array<() => Promise<void>> = [];
let facts: RunFacts;

beforeAll(async () => {
  const brokers = inject('kafkaBrokers');
  const nodeId = `e2e-${randomUUID().slice(0, 8)}`;
  const before = await topicEnds(brokers, Object.values(BUS_TOPICS));
  const startedAt = Date.now();

  const { token, entry } = issueToken(nodeId);
  const cloud = await startCloud(
    resolveCloudConfig({
      dataDir: join(dir, 'cloud'),
      logLevel: 'warn',
      http: { host: '127.0.0.1', port: 0 },
      bus: { kind: 'kafka', brokers },
      tsdb: { url: inject('victoriaMetricsUrl') },
      auth: { nodes: [{ id: nodeId, devices: ['VH-*', 'CH-*'], tokens: [entry] }] },
    }),
  );
  stops.push(() => cloud.stop());

  const mqttPort = await freePort();
  const fleet = createFleetSimulation({ mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, ...FLEET, faults: FAULTS, fleetSecret: randomUUID(), settings: { bookingsPerHour: 4 } });
  const registryFile = join(dir, 'devices.json');
  writeFileSync(registryFile, JSON.stringify(await deviceRegistry(fleet.credentials(), (password) => hashPassword(password))));
  const edgeDir = join(dir, 'edge');
  const edge = await startAgentProcess(
    {
      nodeId,
      dataDir: edgeDir,
      cloud: { url: cloud.address, token },
      devices: { registryFile },
      mqtt: { host: '127.0.0.1', port: mqttPort },
      http: { host: '127.0.0.1', port: 0 },
      rules: { batteryLow: BATTERY_LOW },
    },
    dir,
  );
  stops.push(async () => void (await edge.kill('SIGTERM')));

  await fleet.start();
  stops.push(() => fleet.stop({ drainMs: 0 }));
  await sleep(RUN_MS);
  await fleet.stop({ drainMs: 15_000 });

  // Drained: the edge holds nothing unsent, so the cloud answered 2xx for every record.
  const edgeMetrics = `${edge.addresses.http}/metrics`;
  await waitUntil('an empty edge backlog', async () => sumMetric(await fetchMetrics(edgeMetrics), 'fleetwire_buffer_backlog_records') === 0, 30_000);
  const cloudText = await fetchMetrics(`${cloud.address}/metrics`);
  const after = await topicEnds(brokers, Object.values(BUS_TOPICS));
  const bus = await readBetween(brokers, before, after);
  expect(await edge.kill('SIGTERM')).toBe(0);

  const ledger = fleet.ledger.entries();
  const { quarantine, lossLedger } = readEdgeBuffer(join(edgeDir, 'buffer.sqlite'));
  const result = accountFleet({ nodeId, ledger, bus, quarantine });
  facts = {
    nodeId,
    startedAt,
    stats: fleet.stats(),
    ledger,
    quarantine,
    lossLedger,
    cloudAccepted: sumMetric(cloudText, 'fleetwire_ingest_records_total', { outcome: 'accepted' }),
    cloudDuplicates: sumMetric(cloudText, 'fleetwire_ingest_records_total', { outcome: 'duplicate' }),
    result,
  };
  console.log(
    `fleet e2e: ${ledger.length} ids published (${facts.stats.acked} acked, ${facts.stats.drops} drops), ` +
      `${result.delivered.size} ids on the bus (${result.busDuplicates} extra copies), ${result.ruleEvents.length} rule events, ` +
      `${quarantine.length} quarantined (${result.quarantinedResends.length} re-sends), ${result.deadLetters.length} dead letters, ` +
      `edge duplicates ${lossLedger['duplicate'] ?? 0}, cloud duplicates ${facts.cloudDuplicates}, refused and never seen ${result.quarantineUnseen.length}, foreign ${result.foreign}`,
  );
});

afterAll(async () => {
  for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) await stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('simulated fleet → edge → cloud → Kafka → VictoriaMetrics', () => {
  it('exercised every fault: drops, duplicates, reordering, skew and bad messages', () => {
    const { stats, ledger } = facts;
    const faulted = (fault: string) => ledger.filter((e) => e.faults.includes(fault as LedgerEntry['faults'][number]));
    expect(stats.drops).toBeGreaterThan(0);
    expect(ledger.length).toBeGreaterThan(300);
    for (const fault of ['dupes', 'reorder', 'malformed', 'impossible', 'impersonate']) expect(faulted(fault).length, fault).toBeGreaterThan(0);
    expect(ledger.some((e) => e.expect.clockSkewed)).toBe(true);
    // A deliberate duplicate reached the edge twice: both copies were acknowledged.
    expect(faulted('dupes').filter((e) => e.acks >= 2).length).toBeGreaterThan(0);
    // The drain delivered everything but what the edge refuses without PUBACK (another device's topic).
    expect(ledger.filter((e) => e.status !== 'acked' && e.expect.reason !== 'topic_forbidden').map((e) => `${e.id} ${e.status}`)).toEqual([]);
  });

  it('delivers every acknowledged, valid id to its topic exactly once after dedupe, flagged as expected', () => {
    const { result, ledger, cloudAccepted, lossLedger } = facts;
    const accepted = ledger.filter((e) => e.status === 'acked' && e.expect.outcome === 'accepted');
    expect(result.missing).toEqual([]);
    expect(result.misdelivered).toEqual([]);
    expect(accepted.every((e) => result.delivered.has(e.id))).toBe(true);
    // Copies sent twice (deliberate dupes, re-sends after drops) were removed before Kafka.
    const copiesSent = accepted.reduce((sum, e) => sum + e.attempts, 0);
    expect(copiesSent).toBeGreaterThan(accepted.length);
    expect(lossLedger['duplicate'] ?? 0).toBeGreaterThan(0);
    expect(result.busDuplicates).toBe(0);
    // Every record the cloud accepted is one of this run's ids on the bus, and nothing else.
    expect(cloudAccepted).toBe(result.delivered.size);
  });

  it('quarantines every bad message at the edge with the reason the simulator expects, and delivers none of them', () => {
    const { result, ledger, quarantine, lossLedger } = facts;
    expect(result.leaked).toEqual([]);
    expect(result.notQuarantined).toEqual([]);
    // Rows beyond the deliberately bad ones may only be re-sends of ids already delivered (the
    // edge judges a re-sent reading's odometer against newer ones): never a lost valid reading.
    expect(result.unexplainedQuarantine).toEqual([]);
    expect(result.deadLetters).toEqual([]);
    const reasons = new Set(quarantine.map((row) => row.reason));
    for (const entry of ledger.filter((e) => e.expect.outcome === 'quarantined' && e.status === 'acked')) expect(reasons).toContain(entry.expect.reason);
    expect(reasons).toContain('malformed_json');
    expect(reasons).toContain('impossible_value');
    expect(reasons).toContain('topic_forbidden');
    // Nothing acknowledged left the buffer any other way than to the cloud.
    expect(Object.keys(lossLedger).filter((reason) => reason !== 'duplicate')).toEqual([]);
  });

  it('puts nothing on the bus the ledger does not know, except the edge rule events, each tied to a delivered reading', () => {
    const { result, nodeId } = facts;
    expect(result.strangers).toEqual([]);
    const problems: string[] = [];
    const batteryLowPerVehicle = new Map<string, number>();
    for (const event of result.ruleEvents) {
      const { type, subject, correlationId, source } = event.payload;
      const cause = correlationId === undefined ? undefined : result.delivered.get(correlationId)?.record;
      if (type !== 'BatteryLow' && type !== 'ChargerFaulted') problems.push(`${event.id}: ${type}`);
      if (source !== `edge:${nodeId}`) problems.push(`${event.id}: source ${source}`);
      if (cause === undefined || cause.source.id !== subject.id) problems.push(`${event.id}: ${type} for ${subject.id} caused by ${correlationId}`);
      if (type === 'BatteryLow') batteryLowPerVehicle.set(subject.id, (batteryLowPerVehicle.get(subject.id) ?? 0) + 1);
    }
    expect(problems).toEqual([]);
    const lowVehicles = new Set(
      [...result.delivered.values()].flatMap(({ record }) => (record.kind === 'vehicle_telemetry' && (record.payload.socPct ?? 100) < BATTERY_LOW.thresholdPct ? [record.source.id] : [])),
    );
    expect(lowVehicles.size).toBeGreaterThan(0);
    expect(Object.fromEntries(batteryLowPerVehicle)).toEqual(Object.fromEntries([...lowVehicles].map((id) => [id, 1])));
  });

  it('stamps every reading of one series with its own device time, the time-series identity of a point', () => {
    // Two readings of a series with one device time are one point in the TSDB: the later
    // overwrites the earlier. A real device's clock moves between readings; the simulator's must too.
    const collisions = [...readingsBySeries(facts.result).entries()].flatMap(([series, readings]) =>
      [...readings.values()].filter((ids) => ids.length > 1).map((ids) => `${series}: ${ids.join(' and ')}`),
    );
    expect(collisions).toEqual([]);
  });

  it('writes each delivered reading of a well-clocked device to VictoriaMetrics once, at its device time', async () => {
    const { result, ledger, startedAt } = facts;
    const skewed = new Set(ledger.filter((e) => e.expect.clockSkewed).map((e) => e.deviceId));
    const expected = new Map([...readingsBySeries(result)].filter(([series]) => !skewed.has(series.split('|')[1] ?? '')));
    expect([...expected.keys()].filter((series) => series.startsWith('vehicle')).length).toBeGreaterThan(2);
    const wanted = [...expected.values()].reduce((n, readings) => n + readings.size, 0);

    const devices = new Set(ledger.map((e) => e.deviceId).filter((id) => !skewed.has(id)));
    const stored = async (): Promise<Map<string, ExportedSeries>> => {
      const selector = `{__name__=~"${Object.values(SERIES_FIELD).join('|')}"}`;
      const byKey = new Map<string, ExportedSeries>();
      for (const s of await exportSeries(inject('victoriaMetricsUrl'), selector, startedAt - 1_000, Date.now() + 60_000)) {
        const device = s.metric.vehicle_id ?? s.metric.charger_id ?? '';
        if (devices.has(device)) byKey.set(seriesKey(s.metric.__name__ ?? '', device, s.metric.connector), s);
      }
      return byKey;
    };
    const samples = (m: Map<string, ExportedSeries>) => [...m.values()].reduce((n, s) => n + s.timestamps.length, 0);
    await expect.poll(async () => samples(await stored()), { timeout: 30_000, interval: 1_000 }).toBeGreaterThanOrEqual(wanted);
    const actual = await stored();
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [series, readings] of expected) {
      const times = [...readings.keys()].sort((a, b) => a - b);
      const got = actual.get(series);
      expect(got?.timestamps, series).toEqual(times);
      // Where two readings share a time the TSDB keeps one of them; compare the others' values.
      const values = new Map(got?.timestamps.map((t, i) => [t, got.values[i]]));
      for (const t of times.filter((t) => readings.get(t)?.length === 1)) expect(values.get(t), `${series} @ ${t}`).toBe(fieldValue(result, readings.get(t)?.[0] ?? ''));
    }
    console.log(`fleet e2e: VictoriaMetrics holds ${wanted} samples in ${expected.size} series of well-clocked devices, as delivered`);
  });
});

/** The metric compared per record kind: `{measurement}_{field}` in VictoriaMetrics. */
const SERIES_FIELD = { vehicle_telemetry: 'vehicle_soc_pct', charger_telemetry: 'charger_energy_wh' } as const;

function seriesKey(metric: string, device: string, connector?: string): string {
  return [metric, device, ...(connector === undefined ? [] : [connector])].join('|');
}

/** Delivered telemetry per series key, then per device time: the ids of the readings at that time. */
function readingsBySeries(result: FleetAccounting): Map<string, Map<number, string[]>> {
  const bySeries = new Map<string, Map<number, string[]>>();
  for (const { record } of result.delivered.values()) {
    if (record.kind === 'event') continue;
    const connector = record.kind === 'charger_telemetry' ? String(record.payload.connectorId) : undefined;
    const key = seriesKey(SERIES_FIELD[record.kind], record.source.id, connector);
    const readings = bySeries.get(key) ?? new Map<number, string[]>();
    readings.set(record.deviceTime, [...(readings.get(record.deviceTime) ?? []), record.id]);
    bySeries.set(key, readings);
  }
  return bySeries;
}

function fieldValue(result: FleetAccounting, id: string): number | undefined {
  const record = result.delivered.get(id)?.record;
  if (record?.kind === 'vehicle_telemetry') return record.payload.socPct;
  if (record?.kind === 'charger_telemetry') return record.payload.energyWh;
  return undefined;
}
