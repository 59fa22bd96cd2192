/**
 * What happens to a vehicle every step whatever it is doing: the pack's energy and
 * temperature, capacity fade, tyre temperature and leak, the 12 V battery, fault codes.
 */
import { DAY_MS, HOUR_MS } from '@fleetwire/protocol';
import type { Random } from '../random/random.js';
import {
  DTC_BATTERY_DETERIORATION,
  DTC_SYSTEM_VOLTAGE_LOW,
  THRESHOLDS,
  fadedCapacityWh,
} from './degradation.js';
import { nextBatteryTempC, nextTyreWarmth, packCurrentA } from './physics.js';
import type { DtcOccurrence, VehicleState } from './vehicle.js';


export interface PackFlow {
  /** Energy taken out of the pack this step (driving, auxiliaries). */
  drawnWh: number;
  /** Energy put into the pack this step (charging, after losses). */
  chargedWh: number;
}

/**
 * Applies a step's energy flow and every slow process; `driving` says whether the wheels turned.
 * Changes `draft` in place: it is the calling step's own copy of the vehicle (nested objects are
 * replaced, never mutated).
 */
export function applyWear(draft: VehicleState, flow: PackFlow, driving: boolean, time: number, dtMs: number, ambient: number, rng: Random): void {
  const dtS = dtMs / 1000;
  const battery = draft.battery;
  const dischargedWh = battery.dischargedWh + flow.drawnWh;
  const capacityWh = fadedCapacityWh(battery.nominalCapacityWh, draft.degradation, dischargedWh, (time - draft.createdAt) / DAY_MS);
  const storedWh = Math.min(capacityWh, Math.max(0, battery.storedWh - flow.drawnWh + flow.chargedWh));
  const netKw = ((flow.drawnWh - flow.chargedWh) * 3600) / Math.max(dtS, 1e-3) / 1000;
  draft.battery = {
    ...battery,
    capacityWh,
    storedWh,
    dischargedWh,
    tempC: nextBatteryTempC(battery.tempC, ambient, netKw, dtS),
    currentA: packCurrentA(battery.nominalV, (storedWh / capacityWh) * 100, netKw),
  };
  const leak = draft.degradation.tyreLeak;
  if (leak) draft.tyresColdKpa = { ...draft.tyresColdKpa, [leak.tyre]: Math.max(0, draft.tyresColdKpa[leak.tyre] - (leak.kpaPerDay * dtMs) / DAY_MS) };
  draft.tyreWarmth = nextTyreWarmth(draft.tyreWarmth, driving, dtS);
  draft.aux12vRestV -= (draft.degradation.aux12vFadeMvPerDay / 1000) * (dtMs / DAY_MS);
  if (driving) draft.drivingMs += dtMs;
  Object.assign(draft, faultCodes(draft, time, rng));
}

/** Recurring faults fire after driving time; condition faults follow the pack and 12 V health. */
function faultCodes(vehicle: VehicleState, time: number, rng: Random): Pick<VehicleState, 'dtcLog' | 'nextRecurringDtcAfterDrivingMs'> {
  let dtcLog = vehicle.dtcLog;
  let nextRecurring = vehicle.nextRecurringDtcAfterDrivingMs;
  const recurring = vehicle.degradation.recurringDtc;
  if (dtcLog.some((d) => d.clearedAt === null && d.clearsAt !== null && time >= d.clearsAt)) {
    dtcLog = dtcLog.map((d) => (d.clearedAt === null && d.clearsAt !== null && time >= d.clearsAt ? { ...d, clearedAt: time } : d));
  }
  if (recurring && vehicle.drivingMs >= nextRecurring) {
    const clearsAt = time + Math.max(60_000, rng.exponential(recurring.meanDurationMin * 60_000));
    dtcLog = [...dtcLog, { code: recurring.code, startedAt: time, clearedAt: null, clearsAt }];
    nextRecurring = vehicle.drivingMs + rng.exponential(recurring.meanIntervalH * HOUR_MS);
  }
  dtcLog = followCondition(dtcLog, DTC_BATTERY_DETERIORATION, stateOfHealthPct(vehicle) < THRESHOLDS.stateOfHealthPct, time);
  dtcLog = followCondition(dtcLog, DTC_SYSTEM_VOLTAGE_LOW, vehicle.aux12vRestV < THRESHOLDS.aux12vRestV, time);
  return { dtcLog, nextRecurringDtcAfterDrivingMs: nextRecurring };
}

/** A condition fault is active exactly while its condition holds. */
function followCondition(dtcLog: DtcOccurrence[], code: string, holds: boolean, time: number): DtcOccurrence[] {
  const active = dtcLog.some((d) => d.code === code && d.clearedAt === null);
  if (holds && !active) return [...dtcLog, { code, startedAt: time, clearedAt: null, clearsAt: null }];
  if (!holds && active) return dtcLog.map((d) => (d.code === code && d.clearedAt === null ? { ...d, clearedAt: time } : d));
  return dtcLog;
}

export function stateOfHealthPct(vehicle: VehicleState): number {
  return (vehicle.battery.capacityWh / vehicle.battery.nominalCapacityWh) * 100;
}

