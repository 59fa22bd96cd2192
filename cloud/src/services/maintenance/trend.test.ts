import { describe, expect, it } from 'vitest';
import { DAY_MS as DAY } from '@fleetwire/protocol';
import { fallingCrossing, fitTrend, normalCdf } from './trend.js';

const T0 = Date.UTC(2026, 0, 1);

describe('trend', () => {
  it('recovers the slope of a straight line exactly, in units per day', () => {
    const points = Array.from({ length: 10 }, (_, i) => ({ at: T0 + i * (DAY / 4), value: 250 - 4 * (i / 4) }));
    const trend = fitTrend(points);
    expect(trend?.slopePerDay).toBeCloseTo(-4, 9);
    expect(trend?.valueAt(T0 + 2 * DAY)).toBeCloseTo(242, 9);
    expect(trend?.standardErrorAt(T0)).toBeCloseTo(0, 9);
    expect(trend?.spanDays).toBeCloseTo(2.25, 9);
  });

  it('estimates the slope under noise and widens its error away from the data', () => {
    // Deterministic ±0.5 "noise" around −3/day.
    const points = Array.from({ length: 40 }, (_, i) => ({ at: T0 + i * (DAY / 8), value: 240 - 3 * (i / 8) + (i % 2 === 0 ? 0.5 : -0.5) }));
    const trend = fitTrend(points);
    expect(trend?.slopePerDay).toBeCloseTo(-3, 1);
    expect(trend?.standardErrorAt(T0 + 30 * DAY)).toBeGreaterThan(trend?.standardErrorAt(T0 + 2 * DAY) as number);
  });

  it('needs three points spread in time', () => {
    expect(fitTrend([{ at: T0, value: 1 }, { at: T0 + DAY, value: 2 }])).toBeUndefined();
    expect(fitTrend([{ at: T0, value: 1 }, { at: T0, value: 2 }, { at: T0, value: 3 }])).toBeUndefined();
  });

  it('predicts when a falling line crosses the threshold, and how sure that is within the horizon', () => {
    const points = Array.from({ length: 20 }, (_, i) => ({ at: T0 + i * (DAY / 4), value: 230 - 5 * (i / 4) + (i % 2 === 0 ? 0.3 : -0.3) }));
    const trend = fitTrend(points);
    if (trend === undefined) throw new Error('no trend');
    const now = T0 + 19 * (DAY / 4);
    // 230 − 5 × 4.75 = 206.25 now: past 200 in about 1.25 days.
    const soon = fallingCrossing(trend, 200, now, 14);
    expect(soon.withinDays).toBeCloseTo(1.25, 1);
    expect(soon.confidence).toBeGreaterThan(0.99);
    const far = fallingCrossing(trend, 100, now, 14);
    expect(far.withinDays).toBeGreaterThan(20);
    expect(far.confidence).toBeLessThan(0.01);
    expect(fallingCrossing(trend, 210, now, 14).withinDays).toBe(0);
    const rising = fitTrend(points.map((p) => ({ ...p, value: 500 - p.value })));
    expect(rising && fallingCrossing(rising, 200, now, 14).withinDays).toBe(Infinity);
  });

  it('normalCdf matches known values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 3);
    expect(normalCdf(-1.96)).toBeCloseTo(0.025, 3);
  });
});
