import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS, DAY_MS, type EventRecord, type FleetRecord, fromBusValue, toBusMessage } from '@fleetwire/protocol';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, Subscription } from '../../bus/bus.js';
import { createEmbeddedBus } from '../../bus/embedded/index.js';
import { createFleetService } from '../fleet/index.js';
import { createAnalyticsService, type AnalyticsService } from './analytics-service.js';
import type { AnalyticsServiceOptions } from './options.js';
import { booked, HOUR, paid, reading, tripEnded } from '../../../test/support/analytics-records.js';

const DAY1 = Date.UTC(2026, 0, 1);
const DAY2 = DAY1 + DAY_MS;
const DAY3 = DAY2 + DAY_MS;

let dir = '';
let bus: Bus;
const stops: Array<() => Promise<void>> = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-analytics-'));
  bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), retryInitialMs: 10, pollIntervalMs: 50 });
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

async function started(options: Partial<AnalyticsServiceOptions> = {}): Promise<AnalyticsService> {
  const service = createAnalyticsService({
    bus, metrics: new Registry(), logger: pino({ level: 'silent' }),
    dailyLatenessMs: HOUR, idlePartitionMs: 200, spikeWindowMs: HOUR, spikeLatenessMs: 0, spikeWarmupDays: 1, spikeMinBookings: 3, spikeRatio: 2, snapshotIntervalMs: 0,
    ...options,
  });
  await service.start();
  stops.push(() => service.stop());
  return service;
}

/** Everything the analytics service put on the events topic, in offset order per partition. */
async function analyticsOutput(): Promise<EventRecord[]> {
  const seen: EventRecord[] = [];
  const subscription: Subscription = await bus.subscribe({
    groupId: `reader-${Math.random()}`, topics: [BUS_TOPICS.events], fromBeginning: true,
    handle: async (batch) => {
      for (const message of batch) {
        const verdict = fromBusValue(message.value);
        if (verdict.ok && verdict.value.kind === 'event' && verdict.value.payload.source === 'cloud:analytics') seen.push(verdict.value);
      }
    },
  });
  stops.push(() => subscription.close());
  return seen;
}

const records = (): FleetRecord[] => [
  reading('VH-1', 1, DAY1 + 8 * HOUR),
  booked(1, DAY1 + 8 * HOUR, { vehicleId: 'VH-1', siteId: 'site-a', bookingId: 'bk-1' }),
  ...[2, 3, 4, 5].map((n) => booked(n, DAY2 + 8 * HOUR + n * 60_000, { vehicleId: `VH-${n}`, siteId: 'site-a', bookingId: `bk-${n}` })),
  tripEnded(6, DAY2 + 10 * HOUR, { vehicleId: 'VH-2', bookingId: 'bk-2', distanceKm: 10, durationS: 1200, energyUsedKwh: 2 }),
  paid(7, DAY2 + 11 * HOUR, { bookingId: 'bk-2', amountMinor: 1500 }),
  // Moves the event clock past day 2's end plus the hour of lateness.
  booked(8, DAY3 + 2 * HOUR, { vehicleId: 'VH-9' }),
];

const day2 = {
  date: '2026-01-02', bookings: 4, trips: 1, activeVehicles: 1, distanceKm: 10, energyUsedKwh: 2, chargingEnergyKwh: 0,
  avgTripDurationS: 1200, utilisationPct: 0.35, revenueMinor: 1500, currency: 'EUR',
};

describe('analytics service over the embedded bus', () => {
  it('turns events into DailyUsageReports and a DemandSpike on the events topic, once each though every record came twice', async () => {
    await bus.produce(records().map((r) => toBusMessage(r)));
    await bus.produce(records().map((r) => toBusMessage(r)));
    const analytics = await started();
    const output = await analyticsOutput();
    await expect.poll(() => output.length, { timeout: 5000 }).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(output.map((r) => r.id).sort()).toEqual([...new Set(output.map((r) => r.id))].sort());
    const daily = output.filter((r) => r.payload.type === 'DailyUsageReport').map((r) => r.payload.data);
    expect(daily).toEqual(expect.arrayContaining([
      expect.objectContaining({ date: '2026-01-01', bookings: 1, trips: 0 }),
      expect.objectContaining({ date: '2026-01-01', siteId: 'site-a', bookings: 1 }),
      day2,
      { ...day2, siteId: 'site-a' },
    ]));
    const spike = output.find((r) => r.payload.type === 'DemandSpike');
    expect(spike?.payload).toMatchObject({
      source: 'cloud:analytics', subject: { kind: 'site', id: 'site-a' }, occurredAt: '2026-01-02T09:00:00.000Z',
      data: { siteId: 'site-a', window: { start: '2026-01-02T08:00:00.000Z', end: '2026-01-02T09:00:00.000Z' }, bookings: 4, baseline: 1, ratio: 4 },
    });
    expect(spike?.id).toMatch(/^analytics:ds202601020800w60:[1-9]\d*$/);
    expect(analytics.reports.between('2026-01-02', '2026-01-02')).toEqual([day2, { ...day2, siteId: 'site-a' }]);
  });

  it('after a restart rebuilds the same reports under the same ids, and reads its earlier ones back', async () => {
    await bus.produce(records().map((r) => toBusMessage(r)));
    const first = await started();
    const output = await analyticsOutput();
    await expect.poll(() => output.length, { timeout: 5000 }).toBe(5);
    await first.stop();

    const second = await started();
    await expect.poll(() => second.reports.between('2026-01-01', '2026-01-03').length, { timeout: 5000 }).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const byId = new Map<string, unknown>();
    for (const record of output) {
      if (byId.has(record.id)) expect(record.payload.data).toEqual(byId.get(record.id));
      byId.set(record.id, record.payload.data);
    }
    expect(byId.size).toBe(5);
  });

  it('gives the same reports, once each, with two instances sharing the groups over four partitions, one stopped midway', async () => {
    await bus.close();
    bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus4.sqlite'), partitions: 4, retryInitialMs: 10, pollIntervalMs: 50 });
    const shared = { checkpointIntervalMs: 100, viewRefreshMs: 100 };
    const [first, ...rest] = records();
    await bus.produce([toBusMessage(first as FleetRecord)]);
    const a = await started(shared);
    const b = await started(shared);
    const output = await analyticsOutput();
    await bus.produce(rest.slice(0, 3).map((r) => toBusMessage(r)));
    // One leaves: its partitions move to the other, which resumes them from their checkpoints.
    await b.stop();
    await bus.produce(rest.slice(3).map((r) => toBusMessage(r)));
    await expect.poll(() => new Set(output.map((r) => r.id)).size, { timeout: 10_000 }).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const byId = new Map<string, unknown>();
    for (const record of output) {
      if (byId.has(record.id)) expect(record.payload.data).toEqual(byId.get(record.id));
      byId.set(record.id, record.payload.data);
    }
    expect([...byId.values()]).toEqual(expect.arrayContaining([day2, { ...day2, siteId: 'site-a' }]));
    expect(output.find((r) => r.payload.type === 'DemandSpike')?.payload.data).toMatchObject({ siteId: 'site-a', bookings: 4 });
    await expect.poll(() => a.reports.between('2026-01-02', '2026-01-02'), { timeout: 5000 }).toEqual([day2, { ...day2, siteId: 'site-a' }]);
  });

  it('emits a FleetStatusSnapshot from the fleet state every interval', async () => {
    const now = () => DAY3 + 12 * HOUR;
    const fleet = createFleetService({ bus, metrics: new Registry(), logger: pino({ level: 'silent' }), offlineAfterMs: 365 * DAY_MS });
    await fleet.start();
    stops.push(() => fleet.stop());
    await bus.produce([
      toBusMessage(reading('VH-1', 1, DAY3 + 11 * HOUR, { socPct: 80, speedKph: 0 })),
      toBusMessage(reading('VH-2', 1, DAY3 + 11 * HOUR, { socPct: 10, speedKph: 0 })),
      toBusMessage(booked(1, DAY3 + 11 * HOUR, { vehicleId: 'VH-2', siteId: 'site-a' })),
    ]);
    await expect.poll(() => fleet.reader.summary(now()).vehicles.total).toBe(2);
    await started({ fleet: fleet.reader, snapshotIntervalMs: 1000, now });
    const output = await analyticsOutput();
    await expect.poll(() => output.find((r) => r.payload.type === 'FleetStatusSnapshot'), { timeout: 5000 }).toBeDefined();
    expect(output.find((r) => r.payload.type === 'FleetStatusSnapshot')?.payload).toMatchObject({
      eventId: 'analytics:fs20260103120000:0',
      data: {
        vehicles: { total: 2, available: 1, booked: 1, inTrip: 0, charging: 0, maintenance: 0, offline: 0 },
        chargers: { total: 0, available: 0, charging: 0, faulted: 0, offline: 0 }, avgSocPct: 45, lowBatteryCount: 1,
      },
    });
  });
});
