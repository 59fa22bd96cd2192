/**
 * The ground truth of wear, exported so maintenance prediction can be scored: each vehicle's
 * degradation profile, its true condition now, every fault code occurrence, and when each
 * component crossed (or, at its constant rate, will cross) its attention threshold.
 */
import { DAY_MS } from '@fleetwire/protocol';
import type { DegradationProfile, TyrePosition } from './degradation.js';
import { DTC_BATTERY_DETERIORATION, THRESHOLDS, TYRE_POSITIONS } from './degradation.js';
import type { Tyres, VehicleState } from './vehicle.js';
import { stateOfHealthPct } from './vehicle-wear.js';

export interface MaintenanceTruth {
  /** snake_case component, e.g. `tyre_rl`, `traction_battery`, `aux_battery`, or the DTC's system. */
  component: string;
  reason: 'tyre_pressure_low' | 'battery_capacity_low' | 'aux_battery_weak' | 'recurring_dtc';
  /** When the threshold was or (at the constant rate) will be crossed, ISO-8601; null when not yet known. */
  dueAt: string | null;
  /** True when `dueAt` is in the past of the simulation. */
  reached: boolean;
}

export interface VehicleGroundTruth {
  vehicleId: string;
  asOf: string;
  profile: DegradationProfile;
  odometerKm: number;
  battery: { nominalCapacityWh: number; capacityWh: number; stateOfHealthPct: number; equivalentFullCycles: number };
  tyresColdKpa: Tyres;
  aux12vRestV: number;
  dtcOccurrences: Array<{ code: string; startedAt: string; clearedAt: string | null }>;
  maintenance: MaintenanceTruth[];
}

const iso = (t: number): string => new Date(t).toISOString();

export function vehicleGroundTruth(vehicle: VehicleState, now: number): VehicleGroundTruth {
  const { battery, degradation } = vehicle;
  const soh = stateOfHealthPct(vehicle);
  const maintenance: MaintenanceTruth[] = [];
  // Tyre leaks and 12 V fade are linear in time from creation, so the crossing time is exact.
  const linear = (component: string, reason: MaintenanceTruth['reason'], value: number, threshold: number, lossPerDay: number): void => {
    if (lossPerDay <= 0) return;
    const initial = value + lossPerDay * ((now - vehicle.createdAt) / DAY_MS);
    const crossesAt = vehicle.createdAt + ((initial - threshold) / lossPerDay) * DAY_MS;
    maintenance.push({ component, reason, dueAt: iso(crossesAt), reached: crossesAt <= now });
  };
  if (degradation.tyreLeak) {
    const tyre: TyrePosition = degradation.tyreLeak.tyre;
    linear(`tyre_${tyre}`, 'tyre_pressure_low', vehicle.tyresColdKpa[tyre], THRESHOLDS.tyreColdKpa, degradation.tyreLeak.kpaPerDay);
  }
  linear('aux_battery', 'aux_battery_weak', vehicle.aux12vRestV, THRESHOLDS.aux12vRestV, degradation.aux12vFadeMvPerDay / 1000);
  // Capacity fade depends on how the vehicle is used, so it has no projection: only a crossing seen.
  const sohCrossed = vehicle.dtcLog.find((d) => d.code === DTC_BATTERY_DETERIORATION);
  if (sohCrossed) maintenance.push({ component: 'traction_battery', reason: 'battery_capacity_low', dueAt: iso(sohCrossed.startedAt), reached: true });
  const recurring = degradation.recurringDtc;
  if (recurring) {
    const occurrences = vehicle.dtcLog.filter((d) => d.code === recurring.code);
    // A fault that came back once is a pattern worth a workshop visit.
    const second = occurrences[1];
    maintenance.push({ component: `dtc_${recurring.code.toLowerCase()}`, reason: 'recurring_dtc', dueAt: second ? iso(second.startedAt) : null, reached: second !== undefined });
  }
  return {
    vehicleId: vehicle.id,
    asOf: iso(now),
    profile: degradation,
    odometerKm: vehicle.odometerKm,
    battery: {
      nominalCapacityWh: battery.nominalCapacityWh,
      capacityWh: battery.capacityWh,
      stateOfHealthPct: soh,
      equivalentFullCycles: battery.dischargedWh / battery.nominalCapacityWh,
    },
    tyresColdKpa: Object.fromEntries(TYRE_POSITIONS.map((t) => [t, vehicle.tyresColdKpa[t]])) as Tyres,
    aux12vRestV: vehicle.aux12vRestV,
    dtcOccurrences: vehicle.dtcLog.map((d) => ({ code: d.code, startedAt: iso(d.startedAt), clearedAt: d.clearedAt === null ? null : iso(d.clearedAt) })),
    maintenance,
  };
}
