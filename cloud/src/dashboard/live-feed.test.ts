import { describe, expect, it } from 'vitest';
import { createDashboardFeed } from './dashboard-feed.js';
import { connectorReading, eventRecord, reading, T0 } from '../../test/support/fleet-records.js';

const spike = (id: number, siteId: string, hour: number) =>
  eventRecord('DemandSpike', {
    siteId, bookings: 12, baseline: 3, ratio: 4,
    window: { start: new Date(T0 + hour * 3_600_000).toISOString(), end: new Date(T0 + (hour + 1) * 3_600_000).toISOString() },
  }, { subject: { kind: 'fleet', id: 'fleet' }, source: { kind: 'cloud', id: 'analytics' }, at: T0 + hour * 3_600_000, seq: id });

describe('dashboard feed', () => {
  it('tells listeners the new points per vehicle, the event types and charger changes of each applied batch', () => {
    const feed = createDashboardFeed({ historyPointsPerVehicle: 10, spikesPerSite: 2, keepHistory: true });
    const updates: unknown[] = [];
    const unsubscribe = feed.live.subscribe((update) => updates.push(update));
    feed.apply([
      reading('VH-1', 1, T0, { socPct: 50 }), reading('VH-2', 1, T0, { socPct: 60 }), connectorReading('CH-1', 1, T0),
      eventRecord('BatteryLow', { vehicleId: 'VH-1' }, { subject: { kind: 'vehicle', id: 'VH-1' }, at: T0, seq: 9 }),
    ]);
    unsubscribe();
    feed.apply([reading('VH-1', 2, T0 + 1000, { socPct: 49 })]);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ readings: { 'VH-1': [{ at: T0, socPct: 50 }], 'VH-2': [{ at: T0, socPct: 60 }] }, events: ['BatteryLow'], chargers: true, commands: false });
    expect(feed.history?.between('VH-1', 0, Infinity).map((p) => p.socPct)).toEqual([50, 49]);
  });

  it('keeps the newest demand spikes of each site, once each, and none of the history when a tsdb answers it', () => {
    const feed = createDashboardFeed({ historyPointsPerVehicle: 10, spikesPerSite: 2, keepHistory: false });
    const records = [spike(1, 'site-01', 1), spike(2, 'site-01', 3), spike(3, 'site-01', 2), spike(4, 'site-02', 1), spike(5, 'site-03', 5)];
    feed.apply(records);
    feed.apply([records[1]!]);
    expect(feed.spikes.list().map((s) => [s.siteId, s.windowStart.slice(11, 13)])).toEqual([
      ['site-03', new Date(T0 + 5 * 3_600_000).toISOString().slice(11, 13)],
      ['site-01', new Date(T0 + 3 * 3_600_000).toISOString().slice(11, 13)],
      ['site-01', new Date(T0 + 2 * 3_600_000).toISOString().slice(11, 13)],
      ['site-02', new Date(T0 + 1 * 3_600_000).toISOString().slice(11, 13)],
    ]);
    feed.apply([reading('VH-1', 1, T0, { socPct: 50 })]);
    expect(feed.history).toBeUndefined();
  });
});
