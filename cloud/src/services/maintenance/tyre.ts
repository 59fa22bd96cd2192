/**
 * Tyre pressure: each tyre's cold pressure, its trend, and when it falls below the attention
 * threshold.
 *
 * A tyre sensor reads gauge pressure, which rises with the air's temperature and with the
 * tyre's own warmth from driving — several percent, as much as days of a slow leak, and the
 * telemetry says neither. Both act on all four tyres alike, and a leak on one; so the trend
 * is taken of each tyre *relative to its siblings* (its reading over the median of the four),
 * which cancels temperature and warmth at every reading, driving or parked. The level that
 * ratio applies to is the vehicle's common cold pressure: the median of the four in rested
 * readings (parked, ignition off for `restMinutes`, tyres cooled), normalised to the reference
 * temperature by the gas law with the pack temperature as the air temperature — a rested
 * pack follows the air within a degree or so, and it is the best proxy the telemetry has.
 *
 * Predicted cold pressure of a tyre = its relative trend × the common level. A shared loss
 * (all four under-inflated) therefore still shows, through the level, but it is judged as a
 * level, not as a trend.
 */
import type { VehicleTelemetry } from '@fleetwire/protocol';
import { figure, judgeFalling, type Assessment, type Horizon } from './assessment.js';
import { addPoint, type WindowLimits } from './readings-window.js';
import type { PredictionSettings } from './settings.js';
import { fitTrend, type Point } from './trend.js';
import { DAY_MS } from '@fleetwire/protocol';

export type TyrePosition = 'fl' | 'fr' | 'rl' | 'rr';
type FourTyres = Record<TyrePosition, number>;
export const TYRE_POSITIONS: readonly TyrePosition[] = ['fl', 'fr', 'rl', 'rr'];

export interface TyreWindows {
  /** Each tyre's reading over the median of the four. */
  relative: Record<TyrePosition, Point[]>;
  /** The median of the four in rested readings, normalised to the reference temperature, kPa. */
  level: Point[];
}

type TyreSettings = PredictionSettings['tyre'];

const KELVIN = 273.15;

export function createTyreWindows(): TyreWindows {
  return { relative: { fl: [], fr: [], rl: [], rr: [] }, level: [] };
}

/** Gauge pressure at `airTempC` as it would read at `referenceTempC`. */
export function coldPressureKpa(readingKpa: number, airTempC: number, referenceTempC: number): number {
  return (readingKpa * (KELVIN + referenceTempC)) / (KELVIN + airTempC);
}

function medianOfFour(tyres: FourTyres): number {
  const sorted = TYRE_POSITIONS.map((t) => tyres[t]).sort((a, b) => a - b);
  return ((sorted[1] as number) + (sorted[2] as number)) / 2;
}

const limitsOf = (settings: TyreSettings): WindowLimits => ({ maxPoints: settings.windowReadings, maxAgeMs: settings.windowDays * DAY_MS });

/**
 * Adds a reading: every reading to the relative windows, a rested one to the level too.
 * Returns the tyres to assess again (all four when the level moved). A reading without all four
 * pressures (a sparse one) has no siblings to compare with; one without the battery temperature
 * cannot be normalised for the level.
 */
export function observeTyres(windows: TyreWindows, reading: VehicleTelemetry, at: number, rested: boolean, settings: TyreSettings): TyrePosition[] {
  const tyres = fourTyres(reading.tyresKpa);
  if (tyres === undefined) return [];
  const median = medianOfFour(tyres);
  // A flat sensor (all zero) has no siblings to compare with.
  if (!(median > 0)) return [];
  const limits = limitsOf(settings);
  const changed = TYRE_POSITIONS.filter((tyre) => addPoint(windows.relative[tyre], { at, value: tyres[tyre] / median }, limits));
  const airTempC = reading.battery?.tempC;
  if (rested && airTempC !== undefined && addPoint(windows.level, { at, value: coldPressureKpa(median, airTempC, settings.referenceTempC) }, limits)) return [...TYRE_POSITIONS];
  return changed;
}

function fourTyres(tyres: VehicleTelemetry['tyresKpa']): FourTyres | undefined {
  if (tyres?.fl === undefined || tyres.fr === undefined || tyres.rl === undefined || tyres.rr === undefined) return undefined;
  return { fl: tyres.fl, fr: tyres.fr, rl: tyres.rl, rr: tyres.rr };
}

export function assessTyre(windows: TyreWindows, tyre: TyrePosition, settings: TyreSettings, horizon: Horizon): Assessment | undefined {
  const points = windows.relative[tyre];
  const trend = fitTrend(points);
  const at = points[points.length - 1]?.at;
  const levelKpa = median(windows.level.map((p) => p.value));
  if (trend === undefined || at === undefined || levelKpa === undefined || trend.spanDays < settings.minSpanDays) return undefined;
  return {
    component: `tyre_${tyre}`,
    reason: 'tyre_pressure_low',
    ...judgeFalling(trend, settings.thresholdKpa / levelKpa, at, horizon),
    at,
    evidence: {
      coldKpa: figure(trend.valueAt(at) * levelKpa, 1),
      commonColdKpa: figure(levelKpa, 1),
      thresholdKpa: settings.thresholdKpa,
      lossKpaPerDay: figure(-trend.slopePerDay * levelKpa),
      readings: trend.points,
      spanDays: figure(trend.spanDays),
    },
  };
}

/** The median is robust to the odd reading taken before the tyres had fully cooled. */
function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
