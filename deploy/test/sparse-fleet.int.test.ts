/**
 * Sparse, on-change devices end to end with real servers: a simulated fleet whose every device
 * reports only what changed (no tyre or 12 V sensors, a firmware field the schema does not
 * know) → the edge agent as its own process → cloud ingest (embedded bus) → the time-series
 * sink → VictoriaMetrics, and the fleet state → the fleet API.
 *
 * What each device handed to MQTT is the reference: every reading is accepted, VictoriaMetrics
 * holds a sample exactly where a reading carried the field (and no series for a sensor the
 * devices lack), and the fleet API shows each field's newest reported value even when the
 * newest reading did not carry it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken, resolveCloudConfig, startCloud } from '@fleetwire/cloud';
import { hashPassword } from '@fleetwire/edge';
import { createFleetSimulation, deviceRegistry, type LedgerEntry } from '@fleetwire/simulators';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgentProcess } from '@fleetwire/edge/testing';
import { fetchMetrics, sumMetric } from '../src/demo/metrics-text.js';
import { exportSeries, readEdgeBuffer, type QuarantineRow } from './support/fleet-readback.js';
import { freePort, sleep } from './support/waiting.js';

const FLEET = { vehicles: 5, chargers: 1, seed: 7411, speed: 60 };
const RUN_MS = 15_000;

interface Reading {
  id: string;
  deviceId: string;
  kind: 'vehicle' | 'charger';
  payload: Record<string, unknown>;
}

interface VehicleView {
  id: string;
  position: { lat: number; lon: number } | null;
  socPct: number | null;
  odometerKm: number | null;
}

const dir = mkdtempSync(join(tmpdir(), 'fleetwire-sparse-'));
const stops: Array<() => Promise<void>> = [];
const readings: Reading[] = [];
let ledger: LedgerEntry[];
let quarantine: QuarantineRow[];
let cloudAddress: string;
let edgeMetricsText: string;
let startedAt: number;

beforeAll(async () => {
  const nodeId = `sparse-${randomUUID().slice(0, 8)}`;
  startedAt = Date.now();
  const { token, entry } = issueToken(nodeId);
  const cloud = await startCloud(
    resolveCloudConfig({
      dataDir: join(dir, 'cloud'),
      logLevel: 'warn',
      http: { host: '127.0.0.1', port: 0 },
      bus: { kind: 'embedded' },
      tsdb: { url: inject('victoriaMetricsUrl') },
      auth: { nodes: [{ id: nodeId, devices: ['VH-*', 'CH-*'], tokens: [entry] }] },
    }),
  );
  stops.push(() => cloud.stop());
  cloudAddress = cloud.address;

  const mqttPort = await freePort();
  const fleet = createFleetSimulation({
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    ...FLEET,
    fleetSecret: randomUUID(),
    settings: { sparseShare: 1, bookingsPerHour: 4 },
    onDeviceTelemetry: ({ id, device, payload }) => readings.push({ id, deviceId: device.id, kind: device.kind, payload }),
  });
  const registryFile = join(dir, 'devices.json');
  writeFileSync(registryFile, JSON.stringify(await deviceRegistry(fleet.credentials(), (password) => hashPassword(password))));
  const edge = await startAgentProcess(
    { nodeId, dataDir: join(dir, 'edge'), cloud: { url: cloud.address, token }, devices: { registryFile }, mqtt: { host: '127.0.0.1', port: mqttPort }, http: { host: '127.0.0.1', port: 0 } },
    dir,
  );
  stops.push(async () => void (await edge.kill('SIGTERM')));

  await fleet.start();
  stops.push(() => fleet.stop({ drainMs: 0 }));
  await sleep(RUN_MS);
  await fleet.stop({ drainMs: 15_000 });
  ledger = fleet.ledger.entries();

  const metrics = `${edge.addresses.http}/metrics`;
  const deadline = Date.now() + 30_000;
  while (sumMetric(await fetchMetrics(metrics), 'fleetwire_buffer_backlog_records') !== 0) {
    if (Date.now() > deadline) throw new Error('timed out waiting for an empty edge backlog');
    await sleep(250);
  }
  edgeMetricsText = await fetchMetrics(metrics);
  expect(await edge.kill('SIGTERM')).toBe(0);
  ({ quarantine } = readEdgeBuffer(join(dir, 'edge', 'buffer.sqlite')));
});

afterAll(async () => {
  for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) await stop();
  rmSync(dir, { recursive: true, force: true });
});

const vehicleReadings = () => readings.filter((r) => r.kind === 'vehicle');
const vehicleIds = () => [...new Set(vehicleReadings().map((r) => r.deviceId))].sort();
/** Device times of a vehicle's readings that carried `field`, ascending. */
const timesWith = (vehicleId: string, field: string) =>
  [...new Set(vehicleReadings().filter((r) => r.deviceId === vehicleId && r.payload[field] !== undefined).map((r) => r.payload['ts'] as number))].sort((a, b) => a - b);
/** The newest value a vehicle reported for `field`. */
const newest = (vehicleId: string, field: string) =>
  vehicleReadings()
    .filter((r) => r.deviceId === vehicleId && r.payload[field] !== undefined)
    .sort((a, b) => (a.payload['ts'] as number) - (b.payload['ts'] as number))
    .at(-1)?.payload[field];

describe('sparse, on-change devices → edge → cloud → VictoriaMetrics and the fleet API', () => {
  it('sent sparse readings, and the edge accepted every one of them (unknown fields kept)', () => {
    expect(vehicleIds()).toHaveLength(FLEET.vehicles);
    expect(vehicleReadings().length).toBeGreaterThan(50);
    expect(vehicleReadings().some((r) => r.payload['socPct'] === undefined)).toBe(true);
    expect(vehicleReadings().some((r) => r.payload['position'] === undefined)).toBe(true);
    expect(vehicleReadings().every((r) => r.payload['tyresKpa'] === undefined && r.payload['aux12vV'] === undefined)).toBe(true);
    expect(ledger.filter((e) => e.status !== 'acked').map((e) => `${e.id} ${e.status}`)).toEqual([]);
    expect(quarantine.map((row) => `${row.reason}: ${row.detail}`)).toEqual([]);
    expect(sumMetric(edgeMetricsText, 'fleetwire_intake_unknown_fields_total', { policy: 'keep' })).toBeGreaterThan(0);
    expect(sumMetric(edgeMetricsText, 'fleetwire_intake_rejected_total')).toBe(0);
  });

  it('writes a sample exactly where a reading carried the field, and no series for a sensor the devices lack', async () => {
    const ids = new Set(vehicleIds());
    const stored = async (metric: string) => {
      const series = await exportSeries(inject('victoriaMetricsUrl'), `{__name__="${metric}"}`, startedAt - 1_000, Date.now() + 60_000);
      return new Map(series.filter((s) => ids.has(s.metric.vehicle_id ?? '')).map((s) => [s.metric.vehicle_id ?? '', s.timestamps]));
    };
    const wanted = (field: string) => new Map(vehicleIds().map((id) => [id, timesWith(id, field)]));
    const samples = (byVehicle: Map<string, number[]>) => [...byVehicle.values()].reduce((n, times) => n + times.length, 0);
    await expect.poll(async () => samples(await stored('vehicle_soc_pct')), { timeout: 30_000, interval: 1_000 }).toBe(samples(wanted('socPct')));
    for (const [metric, field] of [['vehicle_soc_pct', 'socPct'], ['vehicle_odometer_km', 'odometerKm'], ['vehicle_lat', 'position']] as const) {
      const got = await stored(metric);
      for (const [vehicleId, times] of wanted(field)) expect(got.get(vehicleId) ?? [], `${metric} ${vehicleId}`).toEqual(times);
    }
    console.log(`sparse e2e: ${vehicleReadings().length} vehicle readings, ${samples(wanted('socPct'))} with SoC, ${samples(wanted('position'))} with a position, ${samples(wanted('odometerKm'))} with the odometer`);
    // Every reading carried some field, but far from every field: the sparse readings are sparse in the TSDB too.
    expect(samples(wanted('socPct'))).toBeLessThan(vehicleReadings().length);
    for (const metric of ['vehicle_tyre_fl_kpa', 'vehicle_aux_12v_v']) expect([...(await stored(metric)).keys()], metric).toEqual([]);
  });

  it("shows each field's newest reported value in the fleet API, merged from readings that carried it", async () => {
    const fleetView = async () => {
      const response = await fetch(`${cloudAddress}/v1/fleet/vehicles`);
      expect(response.status).toBe(200);
      const { vehicles } = (await response.json()) as { vehicles: VehicleView[] };
      return new Map(vehicles.map((v) => [v.id, v]));
    };
    // The fleet service folds the bus in the background: wait until it has every vehicle's newest SoC.
    await expect
      .poll(async () => {
        const view = await fleetView();
        return vehicleIds().every((id) => view.get(id)?.socPct === newest(id, 'socPct'));
      }, { timeout: 15_000 })
      .toBe(true);
    const byId = await fleetView();
    for (const vehicleId of vehicleIds()) {
      const view = byId.get(vehicleId);
      expect(view, vehicleId).toBeDefined();
      expect(view?.socPct, vehicleId).toBe(newest(vehicleId, 'socPct'));
      expect(view?.odometerKm, vehicleId).toBe(newest(vehicleId, 'odometerKm'));
      expect(view?.position, vehicleId).toEqual(newest(vehicleId, 'position'));
    }
    // The newest reading of some vehicle lacked a field the API still shows: merged, not replaced.
    const lastReadings = vehicleIds().map((id) => vehicleReadings().filter((r) => r.deviceId === id).sort((a, b) => (a.payload['ts'] as number) - (b.payload['ts'] as number)).at(-1));
    expect(lastReadings.some((r) => r?.payload['socPct'] === undefined || r?.payload['position'] === undefined)).toBe(true);
  });
});
