/** The behaviour knobs of a simulated fleet, with their documented defaults. */
import { SimulatorError } from '../errors.js';
import { demandSurgeProblems, type DemandSurge } from './demand-surge.js';

export interface WorldSettings {
  /** Mean bookings per idle vehicle per simulated hour. Default 1.5. */
  bookingsPerHour: number;
  /** Vehicles below this SoC are not offered for booking. Default 25. */
  minBookableSocPct: number;
  /** Idle vehicles below this SoC plug in when a connector is free at their site. Default 40. */
  chargeBelowSocPct: number;
  /** A charging vehicle asks to be unplugged at a SoC drawn from this range. Default [80, 95]. */
  chargeTargetSocPct: [number, number];
  /** Share of the energy a charger meters that reaches the pack. Default 0.92. */
  chargeEfficiency: number;
  /** Telemetry interval of a driving or charging vehicle, simulated ms. Default 5 000. */
  telemetryIntervalMs: number;
  /** Telemetry interval of a parked vehicle, simulated ms. Default 30 000. */
  parkedTelemetryIntervalMs: number;
  /** Telemetry interval of each charger connector, simulated ms. Default 10 000. */
  chargerTelemetryIntervalMs: number;
  /** Mean faults per charger connector per simulated hour. Default 0.05. */
  chargerFaultsPerHour: number;
  /** Daily mean and half-swing of the ambient temperature, °C. Default 12 and 6. */
  ambientMeanC: number;
  ambientSwingC: number;
  /** Multiplies every wear rate (capacity fade, tyre leak, 12 V), so short runs show wear. Default 1. */
  degradationScale: number;
  /** Share of devices that report sparse and on change (sparse-reporting.ts), 0–1. Default 0. */
  sparseShare: number;
  /** More demand at one site for a while (demand-surge.ts). Default null: none. */
  demandSurge: DemandSurge | null;
}

export const DEFAULT_WORLD_SETTINGS: WorldSettings = {
  bookingsPerHour: 1.5,
  minBookableSocPct: 25,
  chargeBelowSocPct: 40,
  chargeTargetSocPct: [80, 95],
  chargeEfficiency: 0.92,
  telemetryIntervalMs: 5_000,
  parkedTelemetryIntervalMs: 30_000,
  chargerTelemetryIntervalMs: 10_000,
  chargerFaultsPerHour: 0.05,
  ambientMeanC: 12,
  ambientSwingC: 6,
  degradationScale: 1,
  sparseShare: 0,
  demandSurge: null,
};

export function resolveWorldSettings(overrides: Partial<WorldSettings> = {}): WorldSettings {
  const settings = { ...DEFAULT_WORLD_SETTINGS, ...overrides };
  const check = (ok: boolean, message: string): void => {
    if (!ok) throw new SimulatorError('FW_SIM_OPTIONS_INVALID', message);
  };
  check(settings.bookingsPerHour >= 0, 'bookingsPerHour must be ≥ 0');
  check(settings.minBookableSocPct >= 0 && settings.minBookableSocPct <= 100, 'minBookableSocPct must be in 0–100');
  check(settings.chargeBelowSocPct >= 0 && settings.chargeBelowSocPct <= 100, 'chargeBelowSocPct must be in 0–100');
  const [low, high] = settings.chargeTargetSocPct;
  check(low > settings.chargeBelowSocPct && low <= high && high <= 100, 'chargeTargetSocPct must be [low, high] with chargeBelowSocPct < low ≤ high ≤ 100');
  check(settings.chargeEfficiency > 0 && settings.chargeEfficiency <= 1, 'chargeEfficiency must be in (0, 1]');
  for (const key of ['telemetryIntervalMs', 'parkedTelemetryIntervalMs', 'chargerTelemetryIntervalMs'] as const) {
    check(settings[key] >= 100, `${key} must be ≥ 100 ms`);
  }
  check(settings.chargerFaultsPerHour >= 0, 'chargerFaultsPerHour must be ≥ 0');
  check(settings.degradationScale > 0, 'degradationScale must be > 0');
  check(settings.sparseShare >= 0 && settings.sparseShare <= 1, 'sparseShare must be in 0–1');
  if (settings.demandSurge !== null) for (const problem of demandSurgeProblems(settings.demandSurge)) check(false, problem);
  return settings;
}
