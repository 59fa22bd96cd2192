/**
 * Per-vehicle wear, drawn once from the vehicle's own random stream and kept as ground truth:
 * battery capacity fade (per equivalent full cycle and per day), a slow tyre leak, a weakening
 * 12 V battery, a recurring fault code. Maintenance prediction is scored against this truth.
 */
import type { Random } from '../random/random.js';

export type TyrePosition = 'fl' | 'fr' | 'rl' | 'rr';
export const TYRE_POSITIONS: readonly TyrePosition[] = ['fl', 'fr', 'rl', 'rr'];

export interface DegradationProfile {
  /** Percent of nominal capacity lost per equivalent full cycle (discharged energy / nominal). */
  capacityFadePctPerCycle: number;
  /** Percent of nominal capacity lost per simulated day, driven or not. */
  calendarFadePctPerDay: number;
  tyreLeak: { tyre: TyrePosition; kpaPerDay: number } | null;
  /** Resting voltage lost by the 12 V battery per simulated day, millivolts. */
  aux12vFadeMvPerDay: number;
  /** A fault that keeps coming back while driving: mean hours of driving between occurrences. */
  recurringDtc: { code: string; meanIntervalH: number; meanDurationMin: number } | null;
}

/** Codes a recurring fault is drawn from (SAE J2012 / ISO 15031-6 style). */
export const RECURRING_DTC_CODES = ['P0AA6', 'P0C73', 'U0100', 'C0750', 'P0A94'] as const;
/** Raised while the pack's state of health is below the battery threshold. */
export const DTC_BATTERY_DETERIORATION = 'P0A7F';
/** Raised while the 12 V battery rests below the weak threshold. */
export const DTC_SYSTEM_VOLTAGE_LOW = 'P0562';

export const THRESHOLDS = {
  /** Cold tyre pressure under which a tyre needs attention, kPa (nominal 250). */
  tyreColdKpa: 210,
  /** State of health under which the pack needs attention, percent. */
  stateOfHealthPct: 80,
  /** 12 V resting voltage under which the battery needs replacing, volts. */
  aux12vRestV: 12.2,
} as const;

export interface DegradationOptions {
  /** Multiplies every wear rate, so short demos show visible wear. Default 1. */
  scale?: number;
}

export function drawDegradationProfile(rng: Random, options: DegradationOptions = {}): DegradationProfile {
  const scale = options.scale ?? 1;
  const acceleratedFade = rng.chance(0.15);
  const leaking = rng.chance(0.25);
  const weak12v = rng.chance(0.1);
  const recurring = rng.chance(0.15);
  // Every draw happens whatever the branch, so one vehicle's profile never shifts another draw.
  const fade = acceleratedFade ? rng.range(0.1, 0.3) : rng.range(0.01, 0.04);
  const calendar = rng.range(0.0005, 0.002);
  const leakTyre = rng.pick(TYRE_POSITIONS);
  const leakRate = rng.range(5, 25);
  const aux12vFade = rng.range(20, 80);
  const dtcCode = rng.pick(RECURRING_DTC_CODES);
  const dtcInterval = rng.range(2, 12);
  const dtcDuration = rng.range(10, 60);
  return {
    capacityFadePctPerCycle: fade * scale,
    calendarFadePctPerDay: calendar * scale,
    tyreLeak: leaking ? { tyre: leakTyre, kpaPerDay: leakRate * scale } : null,
    aux12vFadeMvPerDay: weak12v ? aux12vFade * scale : 0,
    recurringDtc: recurring ? { code: dtcCode, meanIntervalH: dtcInterval / scale, meanDurationMin: dtcDuration } : null,
  };
}

/** True capacity after the given discharge throughput and age. */
export function fadedCapacityWh(nominalWh: number, profile: DegradationProfile, dischargedWh: number, ageDays: number): number {
  const cycles = dischargedWh / nominalWh;
  const lostPct = profile.capacityFadePctPerCycle * cycles + profile.calendarFadePctPerDay * ageDays;
  return nominalWh * Math.max(0.5, 1 - lostPct / 100);
}
