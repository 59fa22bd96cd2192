/** Synthetic wear for the maintenance tests: a parked vehicle read every half hour, through a daily temperature swing. */
import type { VehicleTelemetry, VehicleTelemetryRecord } from '@fleetwire/protocol';
import { DAY_MS as DAY } from '@fleetwire/protocol';
import { reading } from './fleet-records.js';
import type { PredictionSettings } from '../../src/services/maintenance/settings.js';
import { resolveMaintenanceSettings } from '../../src/services/maintenance/options.js';

export { DAY };
export const T0 = Date.UTC(2026, 0, 1);
const STEP = 30 * 60_000;

export interface Wear {
  /** kPa per day lost by one tyre. */
  leak?: { tyre: 'fl' | 'fr' | 'rl' | 'rr'; kpaPerDay: number };
  /** Volts per day lost by the 12 V battery at rest. */
  auxVPerDay?: number;
}

/** Readings every 30 min for `days`, parked with the ignition off, the air swinging ±6 °C a day. */
export function parkedReadings(vehicleId: string, days: number, wear: Wear, overrides: (at: number) => Partial<VehicleTelemetry> = () => ({})): VehicleTelemetryRecord[] {
  const records: VehicleTelemetryRecord[] = [];
  for (let i = 0; i * STEP < days * DAY; i += 1) {
    const at = T0 + i * STEP;
    const elapsedDays = (at - T0) / DAY;
    const airC = 12 + 6 * Math.sin((2 * Math.PI * (at % DAY)) / DAY);
    const gauge = (coldKpa: number): number => Math.round(((coldKpa * (273.15 + airC)) / 293.15) * 10) / 10;
    const cold = (tyre: string): number => 250 - (wear.leak?.tyre === tyre ? wear.leak.kpaPerDay * elapsedDays : 0);
    records.push(
      reading(vehicleId, i, at, {
        speedKph: 0, ignition: false, locked: true,
        battery: { tempC: Math.round(airC * 10) / 10, voltageV: 380, currentA: 0 },
        tyresKpa: { fl: gauge(cold('fl')), fr: gauge(cold('fr')), rl: gauge(cold('rl')), rr: gauge(cold('rr')) },
        aux12vV: Math.round((12.6 - (wear.auxVPerDay ?? 0) * elapsedDays) * 100) / 100,
        ...overrides(at),
      }),
    );
  }
  return records;
}

export function defaultPredictionSettings(): PredictionSettings {
  const { enabled: _enabled, ...settings } = resolveMaintenanceSettings({});
  return settings;
}
