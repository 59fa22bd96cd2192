/**
 * The traction battery's state of health, estimated from the trips the vehicle reports.
 *
 * The BMS reports SoC against the pack's *present* capacity, and a trip reports the energy it
 * took from the pack (TripEnded `energyUsedKwh`) beside the SoC at its start (TripStarted) and
 * end. Energy per SoC percent is therefore the present capacity: capacity = 100 · E / ΔSoC.
 * One short trip moves SoC by a percent or two, read to 0.1 %, so a single trip's estimate is
 * rough; trips are pooled until they used `chunkSocPct` of SoC together, and the pooled ratio
 * ΣE / ΣΔSoC is one capacity estimate (rounding errors shrink with the pool).
 *
 * Telemetry carries no nominal capacity, so 100 % is the average of the first
 * `referenceChunks` estimates this process saw — the capacity when the vehicle was first seen
 * (see docs/maintenance.md, limits). The trend of the estimates over time projects when the pack
 * falls below `thresholdPct` of it, assuming the vehicle keeps being used as it was.
 */
import type { EventData } from '@fleetwire/protocol';
import { figure, judgeFalling, type Assessment, type Horizon } from './assessment.js';
import { addPoint } from './readings-window.js';
import type { PredictionSettings } from './settings.js';
import { fitTrend, type Point } from './trend.js';
import { DAY_MS } from '@fleetwire/protocol';

export interface TractionBattery {
  /** Trips started and not yet ended, newest last. */
  openTrips: Array<{ tripId: string; socPct: number }>;
  /** Trips ended recently, so a re-delivered TripEnded is not counted twice. */
  endedTrips: string[];
  pool: { energyWh: number; socPct: number };
  reference: { sumWh: number; chunks: number };
  /** Capacity estimates, Wh. */
  estimates: Point[];
}

/** A vehicle has one trip open at a time; a few allow for events that arrive out of order. */
const MAX_OPEN_TRIPS = 4;
const MAX_ENDED_TRIPS = 16;
/** SAE J2012 "hybrid/EV battery pack deterioration": quoted as evidence when active. */
export const BATTERY_DETERIORATION = 'P0A7F';

export function createTractionBattery(): TractionBattery {
  return { openTrips: [], endedTrips: [], pool: { energyWh: 0, socPct: 0 }, reference: { sumWh: 0, chunks: 0 }, estimates: [] };
}

export function observeTripStarted(battery: TractionBattery, data: EventData['TripStarted']): void {
  if (battery.endedTrips.includes(data.tripId) || battery.openTrips.some((t) => t.tripId === data.tripId)) return;
  battery.openTrips.push({ tripId: data.tripId, socPct: data.socPct });
  if (battery.openTrips.length > MAX_OPEN_TRIPS) battery.openTrips.shift();
}

/** Pools the trip's energy and SoC; true when the pool completed a new capacity estimate. */
export function observeTripEnded(battery: TractionBattery, data: EventData['TripEnded'], at: number, settings: PredictionSettings['tractionBattery']): boolean {
  const start = battery.openTrips.find((t) => t.tripId === data.tripId);
  if (start === undefined) return false;
  battery.openTrips = battery.openTrips.filter((t) => t !== start);
  battery.endedTrips = [...battery.endedTrips, data.tripId].slice(-MAX_ENDED_TRIPS);
  const usedPct = start.socPct - data.socPct;
  // A trip that gained charge or used none says nothing about capacity (and would divide by zero).
  if (!(usedPct > 0) || !(data.energyUsedKwh > 0)) return false;
  const pool = { energyWh: battery.pool.energyWh + data.energyUsedKwh * 1000, socPct: battery.pool.socPct + usedPct };
  if (pool.socPct < settings.chunkSocPct) {
    battery.pool = pool;
    return false;
  }
  battery.pool = { energyWh: 0, socPct: 0 };
  const capacityWh = (100 * pool.energyWh) / pool.socPct;
  if (battery.reference.chunks < settings.referenceChunks) {
    battery.reference = { sumWh: battery.reference.sumWh + capacityWh, chunks: battery.reference.chunks + 1 };
  }
  return addPoint(battery.estimates, { at, value: capacityWh }, { maxPoints: settings.windowChunks, maxAgeMs: settings.windowDays * DAY_MS });
}

export function assessTractionBattery(battery: TractionBattery, activeDtcs: readonly string[], settings: PredictionSettings['tractionBattery'], horizon: Horizon): Assessment | undefined {
  const { estimates, reference } = battery;
  const trend = fitTrend(estimates);
  const at = estimates[estimates.length - 1]?.at;
  if (trend === undefined || at === undefined || estimates.length < settings.minChunks || reference.chunks < settings.referenceChunks) return undefined;
  const referenceWh = reference.sumWh / reference.chunks;
  const healthPct = (wh: number): number => (100 * wh) / referenceWh;
  return {
    component: 'traction_battery',
    reason: 'battery_capacity_low',
    ...judgeFalling(trend, (settings.thresholdPct / 100) * referenceWh, at, horizon),
    at,
    evidence: {
      stateOfHealthPct: figure(healthPct(trend.valueAt(at)), 1),
      thresholdPct: settings.thresholdPct,
      fadePctPerDay: figure(-healthPct(trend.slopePerDay), 3),
      capacityWh: Math.round(trend.valueAt(at)),
      referenceWh: Math.round(referenceWh),
      estimates: trend.points,
    },
    ...(activeDtcs.includes(BATTERY_DETERIORATION) ? { dtcs: [BATTERY_DETERIORATION] } : {}),
  };
}
