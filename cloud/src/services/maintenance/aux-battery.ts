/**
 * The 12 V battery: its resting voltage, the trend, and when it falls below the voltage at
 * which it should be replaced. With the ignition on the DC-DC converter holds the rail at about
 * 14 V, so only rested readings (ignition off for `restMinutes`, surface charge gone) say
 * anything about the battery itself.
 */
import { figure, judgeFalling, type Assessment, type Horizon } from './assessment.js';
import { addPoint } from './readings-window.js';
import type { PredictionSettings } from './settings.js';
import { fitTrend, type Point } from './trend.js';
import { DAY_MS } from '@fleetwire/protocol';

/** SAE J2012 "system voltage low": the vehicle's own verdict, quoted as evidence when active. */
const SYSTEM_VOLTAGE_LOW = 'P0562';

/** Adds a rested reading; false when the window did not change. */
export function observeAuxBattery(points: Point[], restingV: number, at: number, settings: PredictionSettings['auxBattery']): boolean {
  return addPoint(points, { at, value: restingV }, { maxPoints: settings.windowReadings, maxAgeMs: settings.windowDays * DAY_MS });
}

export function assessAuxBattery(points: readonly Point[], activeDtcs: readonly string[], settings: PredictionSettings['auxBattery'], horizon: Horizon): Assessment | undefined {
  const trend = fitTrend(points);
  const at = points[points.length - 1]?.at;
  if (trend === undefined || at === undefined || trend.spanDays < settings.minSpanDays) return undefined;
  return {
    component: 'aux_battery',
    reason: 'aux_battery_weak',
    ...judgeFalling(trend, settings.thresholdV, at, horizon),
    at,
    evidence: {
      restingV: figure(trend.valueAt(at), 3),
      thresholdV: settings.thresholdV,
      lossMvPerDay: figure(-trend.slopePerDay * 1000, 1),
      readings: trend.points,
      spanDays: figure(trend.spanDays),
    },
    ...(activeDtcs.includes(SYSTEM_VOLTAGE_LOW) ? { dtcs: [SYSTEM_VOLTAGE_LOW] } : {}),
  };
}
