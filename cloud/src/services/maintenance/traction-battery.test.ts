import { describe, expect, it } from 'vitest';
import { assessTractionBattery, createTractionBattery, observeTripEnded, observeTripStarted } from './traction-battery.js';
import { DAY, T0, defaultPredictionSettings } from '../../../test/support/maintenance-readings.js';

const settings = defaultPredictionSettings();
const position = { lat: 52.52, lon: 13.405 };

/** One 3 kWh trip from 80 % SoC, read to 0.1 % against the pack's present capacity. */
function trip(battery: ReturnType<typeof createTractionBattery>, n: number, at: number, capacityWh: number): boolean {
  const tripId = `trip-${n}`;
  const common = { tripId, bookingId: `b-${n}`, vehicleId: 'VH-1', odometerKm: 1000 + n };
  observeTripStarted(battery, { ...common, startPosition: position, socPct: 80 });
  const endSoc = Math.round((80 - (3000 / capacityWh) * 100) * 10) / 10;
  const data = { ...common, distanceKm: 20, durationS: 1800, energyUsedKwh: 3, endPosition: position, socPct: endSoc };
  return observeTripEnded(battery, data, at, settings.tractionBattery);
}

describe('traction battery state of health', () => {
  it('measures capacity as energy per SoC percent and projects the fade to the threshold', () => {
    const battery = createTractionBattery();
    let due: number | undefined;
    // 0.4 % of capacity lost per day: 80 % on day 50; the 14-day horizon is reached around day 36.
    for (let n = 0; n < 240; n += 1) {
      const day = n / 4;
      trip(battery, n, T0 + day * DAY, 60_000 * (1 - 0.004 * day));
      const assessment = assessTractionBattery(battery, [], settings.tractionBattery, settings);
      if (due === undefined && assessment?.verdict === 'due') due = day;
    }
    expect(due).toBeGreaterThan(30);
    expect(due).toBeLessThan(40);
    const last = assessTractionBattery(battery, ['P0A7F'], settings.tractionBattery, settings);
    expect(last?.evidence.referenceWh).toBeGreaterThan(59_000);
    expect(last?.evidence.fadePctPerDay).toBeCloseTo(0.4, 1);
    expect(last?.dtcs).toEqual(['P0A7F']);
  });

  it('counts a re-delivered TripEnded once and ignores trips that gained charge', () => {
    const battery = createTractionBattery();
    expect(trip(battery, 1, T0, 60_000)).toBe(true);
    const position2 = { ...position };
    const again = { tripId: 'trip-1', bookingId: 'b-1', vehicleId: 'VH-1', odometerKm: 1001, distanceKm: 20, durationS: 1800, energyUsedKwh: 3, endPosition: position2, socPct: 75 };
    expect(observeTripEnded(battery, again, T0 + 1000, settings.tractionBattery)).toBe(false);
    observeTripStarted(battery, { tripId: 'trip-1', bookingId: 'b-1', vehicleId: 'VH-1', odometerKm: 1001, startPosition: position, socPct: 80 });
    expect(battery.openTrips).toEqual([]);
    observeTripStarted(battery, { tripId: 'trip-2', bookingId: 'b-2', vehicleId: 'VH-1', odometerKm: 1001, startPosition: position, socPct: 50 });
    expect(observeTripEnded(battery, { ...again, tripId: 'trip-2', socPct: 55 }, T0 + DAY, settings.tractionBattery)).toBe(false);
    expect(battery.estimates).toHaveLength(1);
  });
});
