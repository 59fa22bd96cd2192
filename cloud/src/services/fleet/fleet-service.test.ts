import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS, toBusMessage } from '@fleetwire/protocol';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../bus/bus.js';
import { createEmbeddedBus } from '../../bus/embedded/index.js';
import { createFleetService, type FleetService } from './fleet-service.js';
import { connectorReading, eventRecord, reading } from '../../../test/support/fleet-records.js';

let dir = '';
let bus: Bus;
const running: FleetService[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-fleet-'));
  bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), retryInitialMs: 10 });
});
afterEach(async () => {
  for (const service of running.splice(0)) await service.stop();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

const metricValue = async (registry: Registry, name: string, labels: Record<string, string> = {}) =>
  (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;

async function started(metrics = new Registry(), more: { checkpointRecords?: number; viewRefreshMs?: number } = {}): Promise<FleetService> {
  const service = createFleetService({ bus, metrics, logger: pino({ level: 'silent' }), offlineAfterMs: 3_600_000, ...more });
  await service.start();
  running.push(service);
  return service;
}

describe('fleet service over the embedded bus', () => {
  const trip = eventRecord('TripStarted', { vehicleId: 'VH-1', tripId: 'trip-1' }, {
    source: { kind: 'vehicle', id: 'VH-1' }, subject: { kind: 'vehicle', id: 'VH-1' }, at: Date.now() - 1000, seq: 1,
  });
  const records = () => [
    reading('VH-1', 1, Date.now() - 2000, { socPct: 61, speedKph: 20 }),
    reading('VH-2', 1, Date.now() - 2000, { socPct: 12, speedKph: 0 }),
    connectorReading('CH-1', 1, Date.now() - 2000, { status: 'Available', sessionId: null }),
    trip,
  ];

  it('rebuilds the state from the oldest record at start, and follows what comes after', async () => {
    await bus.produce(records().map((r) => toBusMessage(r)));
    const metrics = new Registry();
    const fleet = await started(metrics);
    await expect.poll(() => fleet.ready()).toBe(true);
    // Telemetry and events are different partitions, applied in either order.
    await expect.poll(() => fleet.reader.vehicle('VH-1', Date.now())?.trip?.tripId).toBe('trip-1');
    await expect.poll(() => fleet.reader.summary(Date.now()).vehicles).toMatchObject({ total: 2, driving: 1, parked: 1, lowBattery: 1 });
    expect(fleet.reader.vehicle('VH-1', Date.now())).toMatchObject({ socPct: 61, trip: { tripId: 'trip-1' } });
    expect(fleet.reader.chargers(Date.now())).toMatchObject([{ id: 'CH-1', connectors: [{ status: 'Available' }] }]);

    await bus.produce([toBusMessage(reading('VH-3', 1, Date.now(), { socPct: 99 }))]);
    await expect.poll(() => fleet.reader.vehicle('VH-3', Date.now())?.socPct).toBe(99);
    expect(await metricValue(metrics, 'fleetwire_fleet_records_applied_total', { kind: 'event' })).toBe(1);
    expect(await metricValue(metrics, 'fleetwire_fleet_vehicles')).toBe(3);
  });

  it('shows the same state after a restart, restored from its checkpoints without replaying a record', async () => {
    await bus.produce(records().map((r) => toBusMessage(r)));
    const first = await started();
    await expect.poll(() => first.reader.summary(Date.now()).vehicles.total).toBe(2);
    const before = first.reader.vehicle('VH-1', Date.now());
    await first.stop();
    const metrics = new Registry();
    const second = await started(metrics);
    await expect.poll(() => second.ready()).toBe(true);
    expect(second.reader.summary(Date.now()).vehicles.total).toBe(2);
    expect(second.reader.vehicle('VH-1', Date.now())).toEqual(before);
    expect(await metricValue(metrics, 'fleetwire_service_records_applied_total', { service: 'fleet' })).toBe(0);

    // Only what came after the checkpoint is applied.
    await bus.produce([toBusMessage(reading('VH-3', 1, Date.now(), { socPct: 99 }))]);
    await expect.poll(() => second.reader.vehicle('VH-3', Date.now())?.socPct).toBe(99);
    expect(await metricValue(metrics, 'fleetwire_service_records_applied_total', { service: 'fleet' })).toBe(1);
  });

  it('shares the partitions between two instances of one group, each showing the whole fleet', async () => {
    const a = await started(new Registry(), { viewRefreshMs: 100 });
    const b = await started(new Registry(), { viewRefreshMs: 100 });
    const fleet = Array.from({ length: 12 }, (_, i) => reading(`VH-${i}`, 1, Date.now() - 1000, { socPct: 50 + i }));
    await bus.produce(fleet.map((r) => toBusMessage(r)));
    // Each holds part of the partitions; the other part comes from the other's checkpoints.
    for (const instance of [a, b]) await expect.poll(() => instance.reader.summary(Date.now()).vehicles.total, { timeout: 20_000 }).toBe(12);
    expect(a.reader.vehicles(Date.now())).toEqual(b.reader.vehicles(Date.now()));
  });

  it('ignores re-delivered records and skips values that do not decode, without stalling', async () => {
    const metrics = new Registry();
    const fleet = await started(metrics);
    await bus.produce([
      toBusMessage(trip),
      { topic: BUS_TOPICS.events, key: 'VH-1', value: Buffer.from('{not json'), headers: {} },
      toBusMessage(trip),
      toBusMessage(reading('VH-1', 2, Date.now(), { socPct: 70 })),
    ]);
    await expect.poll(() => fleet.reader.vehicle('VH-1', Date.now())?.socPct).toBe(70);
    await expect.poll(() => metricValue(metrics, 'fleetwire_fleet_records_skipped_total', { reason: 'malformed_json' })).toBe(1);
    expect(fleet.reader.recentEvents(10).map((e) => e.id)).toEqual([trip.id]);
    expect(fleet.reader.vehicle('VH-1', Date.now())?.trip?.tripId).toBe('trip-1');
  });
});
