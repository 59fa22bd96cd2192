import { describe, expect, it } from 'vitest';
import { DAY_MS as DAY } from '@fleetwire/protocol';
import { createCity } from '../city/city.js';
import { createRandom } from '../random/random.js';
import { resolveWorldSettings } from '../world/settings.js';
import { createWorld } from '../world/world.js';
import type { DegradationProfile } from './degradation.js';
import { THRESHOLDS } from './degradation.js';
import { vehicleGroundTruth } from './ground-truth.js';
import { createVehicleState, type VehicleState } from './vehicle.js';
import { applyWear } from './vehicle-wear.js';

const T0 = Date.UTC(2025, 8, 1);
const HEALTHY: DegradationProfile = { capacityFadePctPerCycle: 0, calendarFadePctPerDay: 0, tyreLeak: null, aux12vFadeMvPerDay: 0, recurringDtc: null };

function vehicle(degradation: Partial<DegradationProfile>): VehicleState {
  const city = createCity({ seed: 1, gridSize: 4, sites: 1 });
  const v = createVehicleState({ id: 'VH-0042', site: city.sites[0] as (typeof city.sites)[number], time: T0 }, createRandom(42));
  return { ...v, degradation: { ...HEALTHY, ...degradation }, nextRecurringDtcAfterDrivingMs: degradation.recurringDtc ? 1_800_000 : Infinity };
}

/** Steps wear only, in one-minute steps, as a parked (or, with `driving`, moving) vehicle. */
function age(v: VehicleState, ms: number, options: { driving?: boolean; drawnWhPerStep?: number } = {}): VehicleState {
  const rng = createRandom(7);
  const draft = { ...v };
  for (let t = 60_000; t <= ms; t += 60_000) applyWear(draft, { drawnWh: options.drawnWhPerStep ?? 0, chargedWh: 0 }, options.driving ?? false, v.createdAt + t, 60_000, 10, rng);
  return draft;
}

describe('degradation ground truth', () => {
  it('leaks one tyre at the profile rate and dates the threshold crossing exactly', () => {
    const start = vehicle({ tyreLeak: { tyre: 'rl', kpaPerDay: 10 } });
    const before = start.tyresColdKpa.rl;
    const after = age(start, 3 * DAY);
    expect(before - after.tyresColdKpa.rl).toBeCloseTo(30, 6);
    expect(after.tyresColdKpa.fl).toBe(start.tyresColdKpa.fl);
    const truth = vehicleGroundTruth(after, T0 + 3 * DAY);
    const tyre = truth.maintenance.find((m) => m.component === 'tyre_rl');
    const expectedAt = T0 + ((before - THRESHOLDS.tyreColdKpa) / 10) * DAY;
    expect(Date.parse(tyre?.dueAt as string)).toBeCloseTo(expectedAt, -1);
    expect(tyre?.reached).toBe(false);
    const later = vehicleGroundTruth(age(start, 5 * DAY), T0 + 5 * DAY);
    expect(later.maintenance.find((m) => m.component === 'tyre_rl')).toMatchObject({ reached: true, reason: 'tyre_pressure_low' });
  });

  it('records each occurrence of a recurring fault code and flags it from the second one', () => {
    const start = vehicle({ recurringDtc: { code: 'P0C73', meanIntervalH: 0.5, meanDurationMin: 5 } });
    const driven = age(start, 6 * 3_600_000, { driving: true });
    const truth = vehicleGroundTruth(driven, T0 + 6 * 3_600_000);
    const occurrences = truth.dtcOccurrences.filter((d) => d.code === 'P0C73');
    expect(occurrences.length).toBeGreaterThanOrEqual(3);
    expect(occurrences.slice(0, -1).every((d) => d.clearedAt !== null && d.clearedAt > d.startedAt)).toBe(true);
    expect(truth.maintenance.find((m) => m.reason === 'recurring_dtc')).toEqual({ component: 'dtc_p0c73', reason: 'recurring_dtc', dueAt: occurrences[1]?.startedAt, reached: true });
    expect(truth.dtcOccurrences).toEqual(driven.dtcLog.map((d) => ({ code: d.code, startedAt: new Date(d.startedAt).toISOString(), clearedAt: d.clearedAt === null ? null : new Date(d.clearedAt).toISOString() })));
  });

  it('fades capacity with discharged energy and raises P0A7F below 80 % state of health', () => {
    const start = vehicle({ capacityFadePctPerCycle: 5 });
    // 5 % per full cycle: four full cycles of discharge take it to 80 %.
    const cycles = 4.2;
    const worn = age(start, 60 * 60_000, { drawnWhPerStep: (start.battery.nominalCapacityWh * cycles) / 60 });
    const truth = vehicleGroundTruth(worn, T0 + 3_600_000);
    expect(truth.battery.equivalentFullCycles).toBeCloseTo(cycles, 6);
    expect(truth.battery.stateOfHealthPct).toBeCloseTo(100 - 5 * cycles, 6);
    expect(worn.dtcLog.some((d) => d.code === 'P0A7F' && d.clearedAt === null)).toBe(true);
    expect(truth.maintenance.find((m) => m.component === 'traction_battery')).toMatchObject({ reason: 'battery_capacity_low', reached: true });
  });

  it('draws wear profiles from the seed: a share of the fleet leaks, some faults recur', () => {
    const world = createWorld({ seed: 5, startTime: T0, vehicles: 200, chargers: 0, settings: resolveWorldSettings() });
    const again = createWorld({ seed: 5, startTime: T0, vehicles: 200, chargers: 0, settings: resolveWorldSettings() });
    expect(again.vehicles.map((v) => v.degradation)).toEqual(world.vehicles.map((v) => v.degradation));
    const leaking = world.vehicles.filter((v) => v.degradation.tyreLeak).length;
    const recurring = world.vehicles.filter((v) => v.degradation.recurringDtc).length;
    expect(leaking).toBeGreaterThan(30);
    expect(leaking).toBeLessThan(70);
    expect(recurring).toBeGreaterThan(15);
    expect(recurring).toBeLessThan(45);
  });
});
