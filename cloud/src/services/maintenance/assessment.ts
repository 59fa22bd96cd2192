/**
 * What a predictor says about one component of one vehicle, and the common rule that turns a
 * trend into a verdict. Components and reasons use the simulator's ground-truth words
 * (`tyre_rl` / `tyre_pressure_low`, `aux_battery`, `traction_battery`, `dtc_p0c73`), so a
 * prediction can be scored against it by name.
 */
import { fallingCrossing, type Trend } from './trend.js';

export interface Assessment {
  /** snake_case, e.g. `tyre_rl`. */
  component: string;
  reason: 'tyre_pressure_low' | 'aux_battery_weak' | 'battery_capacity_low' | 'recurring_dtc';
  /**
   * `due`: needs attention within the horizon, raise a finding. `clear`: comfortably not (a
   * standing finding closes). `watch`: in between — no change, so a trend hovering at the
   * horizon does not raise, close and raise again.
   */
  verdict: 'due' | 'watch' | 'clear';
  /** Days until the threshold is crossed: 0 when it already is; may be Infinity. */
  withinDays: number;
  confidence: number;
  /** Trusted time of the newest data behind the assessment: the finding's time and its day bucket. */
  at: number;
  /** The features that drove it, finite numbers only. */
  evidence: Record<string, number>;
  dtcs?: string[];
}

export interface Horizon {
  horizonDays: number;
  minConfidence: number;
}

/**
 * A standing finding closes only when the crossing is predicted beyond twice the horizon:
 * hysteresis against noise flapping a finding at the boundary.
 */
const CLEAR_FACTOR = 2;

/** The verdict on a falling trend at `at`: due when it crosses within the horizon with enough confidence. */
export function judgeFalling(trend: Trend, threshold: number, at: number, horizon: Horizon): Pick<Assessment, 'verdict' | 'withinDays' | 'confidence'> {
  const crossing = fallingCrossing(trend, threshold, at, horizon.horizonDays);
  const verdict =
    crossing.withinDays <= horizon.horizonDays && crossing.confidence >= horizon.minConfidence
      ? 'due'
      : crossing.withinDays > CLEAR_FACTOR * horizon.horizonDays
        ? 'clear'
        : 'watch';
  return { verdict, withinDays: crossing.withinDays, confidence: crossing.confidence };
}

/** Rounds for evidence: events carry readable figures, and JSON has no Infinity. */
export function figure(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value > 0 ? 3650 : -3650;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
