/**
 * Straight-line trends over time and when they cross a threshold. Every wear predictor here
 * (tyre pressure, 12 V resting voltage, traction battery health) is a quantity that drifts
 * slowly under noise, so one estimator serves them all: ordinary least squares over a window of
 * readings, and the probability that the fitted line is past the threshold at the horizon.
 */
import { DAY_MS } from '@fleetwire/protocol';

export interface Point {
  /** Trusted device time, ms since the Unix epoch. */
  at: number;
  value: number;
}

export interface Trend {
  /** Change per day (negative: falling). */
  slopePerDay: number;
  /** The fitted value at `at`. */
  valueAt(at: number): number;
  /** Standard error of the fitted value at `at`: wide far from the data, narrow in its middle. */
  standardErrorAt(at: number): number;
  points: number;
  spanDays: number;
}


/** Least squares of value on time; undefined with fewer than three points or no time span. */
export function fitTrend(points: readonly Point[]): Trend | undefined {
  const n = points.length;
  if (n < 3) return undefined;
  // Days relative to the first point keep the sums well-conditioned (epoch ms squared would not be).
  const origin = points[0]?.at ?? 0;
  let sumX = 0;
  let sumY = 0;
  for (const p of points) {
    sumX += (p.at - origin) / DAY_MS;
    sumY += p.value;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let sxx = 0;
  let sxy = 0;
  let minX = Infinity;
  let maxX = -Infinity;
  for (const p of points) {
    const dx = (p.at - origin) / DAY_MS - meanX;
    sxx += dx * dx;
    sxy += dx * (p.value - meanY);
    minX = Math.min(minX, dx);
    maxX = Math.max(maxX, dx);
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  let sse = 0;
  for (const p of points) {
    const residual = p.value - (meanY + slope * ((p.at - origin) / DAY_MS - meanX));
    sse += residual * residual;
  }
  const residualVariance = sse / (n - 2);
  const x = (at: number): number => (at - origin) / DAY_MS - meanX;
  return {
    slopePerDay: slope,
    valueAt: (at) => meanY + slope * x(at),
    standardErrorAt: (at) => Math.sqrt(residualVariance * (1 / n + (x(at) * x(at)) / sxx)),
    points: n,
    spanDays: maxX - minX,
  };
}

export interface Crossing {
  /** Days from `now` until the fitted line reaches the threshold: 0 when already past it, Infinity when moving away. */
  withinDays: number;
  /** Probability that the fitted line is past the threshold `horizonDays` from now (normal approximation). */
  confidence: number;
}

/** When a falling quantity reaches `threshold`, seen at `now` with `horizonDays` of look-ahead. */
export function fallingCrossing(trend: Trend, threshold: number, now: number, horizonDays: number): Crossing {
  const level = trend.valueAt(now);
  const withinDays = level <= threshold ? 0 : trend.slopePerDay < 0 ? (level - threshold) / -trend.slopePerDay : Infinity;
  const at = now + horizonDays * DAY_MS;
  const margin = threshold - trend.valueAt(at);
  const spread = trend.standardErrorAt(at);
  const confidence = spread > 0 ? normalCdf(margin / spread) : margin >= 0 ? 1 : 0;
  return { withinDays, confidence };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, error below 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
