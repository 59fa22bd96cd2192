import type { FleetRecord } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { closeReady, createAnalyticsState, listSources, mergePartial, observeRecord, type AnalyticsState } from './analytics-state.js';
import { emptyPartial, foldRecord, type Partial, type SourceClock } from './partition-partials.js';
import { MAX_CLOCK_LEAD_MS } from './event-clock.js';
import { dailyUsageRecord } from './report-events.js';
import { booked, chargingStopped, connectorReading, HOUR, paid, reading, rulesWith, T0, tripEnded } from '../../../test/support/analytics-records.js';
import { DAY_MS } from '@fleetwire/protocol';

/** T0 is 2026-01-01 08:00 UTC. */
const DAY1 = T0 - 8 * HOUR;
const DAY2 = DAY1 + DAY_MS;
const NOW = DAY2 + 30 * DAY_MS;
const rules = rulesWith({ dailyLatenessMs: HOUR });
/** One partition, read at NOW. */
const delivery = { partition: 'fleetwire.events/0', now: NOW };

function fold(records: FleetRecord[], state: AnalyticsState = createAnalyticsState()) {
  const outcomes = records.map((record) => observeRecord(state, record, delivery, rules));
  return { state, outcomes, closed: closeReady(state, rules, NOW) };
}

/** A reading that moves the event clock to `at` and says nothing else. */
const tick = (at: number, seq = 900) => reading('VH-CLOCK', seq, at);

describe('daily usage', () => {
  const dayOne: FleetRecord[] = [
    reading('VH-3', 1, T0),
    booked(1, T0, { vehicleId: 'VH-1', siteId: 'site-a', bookingId: 'bk-1' }),
    booked(2, T0 + HOUR, { vehicleId: 'VH-2', siteId: 'site-b', bookingId: 'bk-2' }),
    tripEnded(3, T0 + 2 * HOUR, { vehicleId: 'VH-1', bookingId: 'bk-1', distanceKm: 12.5, durationS: 1800, energyUsedKwh: 2.25 }),
    tripEnded(4, T0 + 3 * HOUR, { vehicleId: 'VH-2', bookingId: 'bk-2', distanceKm: 7.5, durationS: 3600, energyUsedKwh: 1.5 }),
    paid(5, T0 + 4 * HOUR, { bookingId: 'bk-1', amountMinor: 1250 }),
    paid(6, T0 + 4 * HOUR, { bookingId: 'bk-2', amountMinor: 990, status: 'refunded' }),
    paid(7, T0 + 4 * HOUR, { bookingId: 'bk-2', amountMinor: 500, currency: 'USD' }),
    connectorReading('CH-1', 1, T0, { siteId: 'site-a' }),
    chargingStopped(8, T0 + 5 * HOUR, { chargerId: 'CH-1', sessionId: 's-1', energyWh: 20_500 }),
  ];

  it('closes a UTC day once the clock passed its end plus the lateness allowance, fleet-wide and per site', () => {
    const open = fold([...dayOne, tick(DAY2 + HOUR - 1)]);
    expect(open.closed.daily).toEqual([]);
    const { closed } = fold([tick(DAY2 + HOUR)], open.state);
    expect(closed.daily.map((d) => [d.id, d.report])).toEqual([
      ['analytics:du20260101:0', {
        date: '2026-01-01', bookings: 2, trips: 2, activeVehicles: 2, distanceKm: 20, energyUsedKwh: 3.75, chargingEnergyKwh: 20.5,
        avgTripDurationS: 2700, utilisationPct: round2((5400 / (3 * 86_400)) * 100), revenueMinor: 1250, currency: 'EUR',
      }],
      [expect.stringMatching(/^analytics:du20260101:[1-9]\d*$/), expect.objectContaining({
        date: '2026-01-01', siteId: 'site-a', bookings: 1, trips: 1, activeVehicles: 1, distanceKm: 12.5, chargingEnergyKwh: 20.5,
        utilisationPct: round2((1800 / 86_400) * 100), revenueMinor: 1250,
      })],
      [expect.stringMatching(/^analytics:du20260101:[1-9]\d*$/), expect.objectContaining({ siteId: 'site-b', bookings: 1, trips: 1, revenueMinor: 0, chargingEnergyKwh: 0 })],
    ]);
    // The fleet-wide vehicle-time counts every vehicle heard of that day (VH-1, VH-2 and the parked VH-3).
    expect(closed.daily[0]?.report.utilisationPct).toBe(2.08);
  });

  it('cuts days at midnight UTC', () => {
    const { closed } = fold([
      booked(1, DAY2 - 1, { vehicleId: 'VH-1' }),
      booked(2, DAY2, { vehicleId: 'VH-1' }),
      tick(DAY2 + DAY_MS + HOUR),
    ]);
    expect(closed.daily.map((d) => [d.report.date, d.report.bookings])).toEqual([['2026-01-01', 1], ['2026-01-02', 1]]);
  });

  it('counts a late record within the allowance, and leaves out one beyond it', () => {
    const { state, outcomes, closed } = fold([
      tick(DAY2 + HOUR - 1),
      booked(1, DAY2 - 10, { vehicleId: 'VH-1' }),
      tick(DAY2 + HOUR, 901),
    ]);
    // Within the day's allowance, though past its booking window's shorter one.
    expect(outcomes[1]).toBe('late_window');
    expect(closed.daily[0]?.report).toMatchObject({ date: '2026-01-01', bookings: 1 });
    expect(observeRecord(state, booked(2, DAY2 - 10, { vehicleId: 'VH-2' }), delivery, rules)).toBe('late_day');
    // The day stays closed: its report is final.
    expect(closeReady(state, rules, NOW).daily).toEqual([]);
  });

  it('counts a re-delivered record once, and a trip reported under two record ids once', () => {
    const trip = tripEnded(3, T0, { vehicleId: 'VH-1', bookingId: 'bk-1', distanceKm: 10, durationS: 600, energyUsedKwh: 1 });
    const again = { ...trip, id: 'VH-1:reboot:1' };
    const { closed } = fold([booked(1, T0, { vehicleId: 'VH-1', bookingId: 'bk-1' }), booked(1, T0, { vehicleId: 'VH-1', bookingId: 'bk-1' }), trip, trip, again, tick(DAY2 + HOUR)]);
    expect(closed.daily[0]?.report).toMatchObject({ bookings: 1, trips: 1, distanceKm: 10 });
  });

  it('reports zeros for a day with records but no usage, and nothing for a day without records', () => {
    const { closed } = fold([reading('VH-1', 1, T0), reading('VH-1', 2, DAY2 + DAY_MS + 2 * HOUR)]);
    expect(closed.daily.map((d) => d.report)).toEqual([{
      date: '2026-01-01', bookings: 0, trips: 0, activeVehicles: 0, distanceKm: 0, energyUsedKwh: 0, chargingEnergyKwh: 0,
      avgTripDurationS: 0, utilisationPct: 0, revenueMinor: 0, currency: 'EUR',
    }]);
  });

  it('attributes a trip to its booking’s site even when the booking arrives after the trip', () => {
    const { closed } = fold([
      tripEnded(3, T0 + HOUR, { vehicleId: 'VH-1', bookingId: 'bk-9', distanceKm: 4, durationS: 300, energyUsedKwh: 0.5 }),
      booked(9, T0 - 5 * HOUR, { vehicleId: 'VH-1', siteId: 'site-a', bookingId: 'bk-9' }),
      tick(DAY2 + HOUR),
    ]);
    expect(closed.daily.find((d) => d.report.siteId === 'site-a')?.report).toMatchObject({ bookings: 1, trips: 1, distanceKm: 4 });
  });

  it('does not emit a report again that it read back from the bus', () => {
    const state = createAnalyticsState();
    const earlier = dailyUsageRecord(DAY1, {
      date: '2026-01-01', bookings: 1, trips: 0, activeVehicles: 0, distanceKm: 0, energyUsedKwh: 0, chargingEnergyKwh: 0,
      avgTripDurationS: 0, utilisationPct: 0, revenueMinor: 0, currency: 'EUR',
    }, NOW);
    const { outcomes, closed } = fold([earlier, booked(1, T0, { vehicleId: 'VH-1' }), tick(DAY2 + HOUR)], state);
    expect(outcomes[0]).toBe('own_report');
    expect(closed.daily).toEqual([]);
  });

  it('refuses a record stamped too far ahead of the service clock, which must not close the day', () => {
    const { outcomes, closed } = fold([booked(1, T0, { vehicleId: 'VH-1' }), tick(NOW + MAX_CLOCK_LEAD_MS + 1)]);
    expect(outcomes).toEqual(['counted', 'future']);
    expect(closed.daily).toEqual([]);
  });
});

describe('the event clock over several partitions', () => {
  it('waits for the slowest active partition, and stops waiting for one that went idle', () => {
    const state = createAnalyticsState();
    const at = (partition: string, now = NOW) => ({ partition, now });
    observeRecord(state, booked(1, T0, { vehicleId: 'VH-1' }), at('fleetwire.events/0'), rules);
    // Another partition's batch runs ahead by two days: not a reason to call partition 0's records late.
    observeRecord(state, tick(DAY2 + DAY_MS), at('fleetwire.events/1'), rules);
    expect(observeRecord(state, booked(2, T0 + HOUR, { vehicleId: 'VH-2' }), at('fleetwire.events/0'), rules)).toBe('counted');
    expect(closeReady(state, rules, NOW).daily).toEqual([]);
    // Partition 0 has said nothing for idlePartitionMs: it no longer holds the watermark back.
    const { daily } = closeReady(state, rules, NOW + rules.idlePartitionMs);
    expect(daily.map((d) => [d.report.date, d.report.bookings])).toEqual([['2026-01-01', 2]]);
  });
});

/** The first stage over each partition's records, one partial per batch of `batchSize`. */
function partialsOf(byPartition: Record<string, FleetRecord[]>, batchSize: number): Partial[] {
  const partials: Partial[] = [];
  for (const [source, records] of Object.entries(byPartition)) {
    const clock: SourceClock = { newest: null };
    for (let i = 0; i < records.length; i += batchSize) {
      const partial = emptyPartial(source, clock);
      for (const record of records.slice(i, i + batchSize)) foldRecord(clock, partial, record, NOW, rules);
      partials.push(partial);
    }
  }
  return partials;
}

/** The second stage over partials in the order given; closing after every merge counts no partition as idle. */
function merged(partials: Partial[], sources: string[]) {
  const state = createAnalyticsState();
  listSources(state, sources, NOW);
  const daily = [];
  for (const partial of partials) {
    mergePartial(state, partial, NOW, rules);
    daily.push(...closeReady(state, rules, NOW, Infinity).daily);
  }
  return daily.map((d) => [d.id, d.report]);
}

describe('partials of several partitions, merged', () => {
  const byPartition = {
    'fleetwire.events#0': [
      booked(1, T0, { vehicleId: 'VH-1', siteId: 'site-a', bookingId: 'bk-1' }),
      tripEnded(2, T0 + HOUR, { vehicleId: 'VH-1', bookingId: 'bk-1', distanceKm: 5, durationS: 900, energyUsedKwh: 1 }),
      tick(DAY2 + 2 * HOUR, 901),
    ],
    'fleetwire.events#1': [
      booked(3, T0 + 2 * HOUR, { vehicleId: 'VH-2', siteId: 'site-a', bookingId: 'bk-3' }),
      paid(4, T0 + 3 * HOUR, { bookingId: 'bk-1', amountMinor: 700 }),
      tick(DAY2 + 3 * HOUR, 902),
    ],
    'fleetwire.telemetry.vehicle#0': [reading('VH-3', 1, T0), reading('VH-3', 2, DAY2 + 2 * HOUR)],
  };
  const sources = Object.keys(byPartition);

  it('give the reports of one partition holding every record, whatever the batches, the interleaving and repeats', () => {
    const single = merged(partialsOf({ all: Object.values(byPartition).flat().sort((a, b) => a.receivedAt - b.receivedAt) }, 100), ['all']);
    expect(single.map(([id]) => id)).toEqual(['analytics:du20260101:0', expect.stringMatching(/^analytics:du20260101:[1-9]/)]);
    expect(single[0]?.[1]).toMatchObject({ bookings: 2, trips: 1, revenueMinor: 700 });
    const partials = partialsOf(byPartition, 1);
    expect(merged(partials, sources)).toEqual(single);
    // Each partition's partials come in its order; how partitions interleave does not matter.
    expect(merged(partialsOf(Object.fromEntries(Object.entries(byPartition).reverse()), 1), sources)).toEqual(single);
    // A replayed tail: partials merged again, after others.
    expect(merged([...partialsOf(byPartition, 2), ...partialsOf(byPartition, 1)], sources)).toEqual(single);
  });

  it('close a day only once every partition listed with records has passed it', () => {
    const partials = partialsOf(byPartition, 100);
    const withoutTelemetry = partials.filter((p) => p.source !== 'fleetwire.telemetry.vehicle#0');
    expect(merged(withoutTelemetry, sources)).toEqual([]);
    // Unlisted (not known to hold records), a partition that sent nothing holds nothing back.
    expect(merged(withoutTelemetry, sources.slice(0, 2))).toHaveLength(2);
  });

  it('leave out facts of a day or window the merge already closed, and refuse a record from the future', () => {
    const clock: SourceClock = { newest: null };
    const partial = emptyPartial('fleetwire.events#0', clock);
    expect(foldRecord(clock, partial, tick(DAY2 + HOUR), NOW, rules)).toBe('heard');
    // Its own partition is past the day's end + lateness, but the others may not be: not late here.
    expect(foldRecord(clock, partial, booked(9, T0, { vehicleId: 'VH-9' }), NOW, rules)).toBe('counted');
    expect(foldRecord(clock, partial, tick(NOW + MAX_CLOCK_LEAD_MS + 1, 903), NOW, rules)).toBe('future');
    expect(clock.newest).toBe(DAY2 + HOUR);

    const state = createAnalyticsState();
    for (const p of partialsOf(byPartition, 100)) mergePartial(state, p, NOW, rules);
    expect(closeReady(state, rules, NOW, Infinity).daily).toHaveLength(2);
    const [late] = partialsOf({ 'fleetwire.events#2': [booked(5, T0, { vehicleId: 'VH-5' })] }, 100);
    // The booking and its vehicle in the day; the window was closed too.
    expect(mergePartial(state, late as Partial, NOW, rules)).toEqual({ day: 2, window: 1 });
  });
});

describe('a partition that only reads back the service’s own reports', () => {
  it('falls idle: the reports and snapshots it keeps reading do not hold the days back', () => {
    const state = createAnalyticsState();
    observeRecord(state, booked(1, T0, { vehicleId: 'VH-1' }), { partition: 'fleetwire.events#0', now: NOW }, rules);
    observeRecord(state, tick(DAY2 + 2 * HOUR), { partition: 'fleetwire.telemetry.vehicle#0', now: NOW + rules.idlePartitionMs }, rules);
    const report = dailyUsageRecord(DAY1 - DAY_MS, {
      date: '2025-12-31', bookings: 0, trips: 0, activeVehicles: 0, distanceKm: 0, energyUsedKwh: 0, chargingEnergyKwh: 0,
      avgTripDurationS: 0, utilisationPct: 0, revenueMinor: 0, currency: 'EUR',
    }, NOW);
    expect(observeRecord(state, report, { partition: 'fleetwire.events#0', now: NOW + rules.idlePartitionMs }, rules)).toBe('own_report');
    expect(closeReady(state, rules, NOW + rules.idlePartitionMs).daily.map((d) => d.report.bookings)).toEqual([1]);
  });
});

describe('booking windows', () => {
  it('close by their own, shorter allowance; a booking late for its window still counts in its day', () => {
    const spiky = rulesWith({ dailyLatenessMs: HOUR, spikeWindowMs: HOUR, spikeLatenessMs: 60_000 });
    const state = createAnalyticsState();
    observeRecord(state, booked(1, T0, { vehicleId: 'VH-1' }), delivery, spiky);
    observeRecord(state, tick(T0 + HOUR + 60_000), delivery, spiky);
    expect(state.windows.size).toBe(1);
    closeReady(state, spiky, NOW);
    expect(state.windows.size).toBe(0);
    expect(observeRecord(state, booked(2, T0 + 10, { vehicleId: 'VH-2' }), delivery, spiky)).toBe('late_window');
    expect(state.days.get(DAY1)?.bookings.size).toBe(2);
  });
});

function round2(value: number) {
  return Math.round(value * 100) / 100;
}
