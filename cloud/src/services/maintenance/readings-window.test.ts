import { describe, expect, it } from 'vitest';
import { HOUR_MS as HOUR } from '@fleetwire/protocol';
import { addPoint } from './readings-window.js';
import type { Point } from './trend.js';

const T0 = Date.UTC(2026, 0, 1);

describe('readings window', () => {
  it('stays within its count and age, however many readings arrive', () => {
    const points: Point[] = [];
    const limits = { maxPoints: 24, maxAgeMs: 24 * HOUR };
    for (let i = 0; i < 10_000; i += 1) addPoint(points, { at: T0 + i * 60_000, value: i }, limits);
    expect(points.length).toBeLessThanOrEqual(24);
    const newest = points[points.length - 1]?.at as number;
    expect(points.every((p) => p.at >= newest - 24 * HOUR)).toBe(true);
    // Spread over the day, not the last 24 minutes.
    expect(newest - (points[0]?.at as number)).toBeGreaterThan(20 * HOUR);
  });

  it('keeps time order for late points and ignores a reading delivered twice', () => {
    const points: Point[] = [];
    const limits = { maxPoints: 100, maxAgeMs: 100 * HOUR };
    expect(addPoint(points, { at: T0 + 3 * HOUR, value: 3 }, limits)).toBe(true);
    expect(addPoint(points, { at: T0 + HOUR, value: 1 }, limits)).toBe(true);
    expect(addPoint(points, { at: T0 + 2 * HOUR, value: 2 }, limits)).toBe(true);
    expect(addPoint(points, { at: T0 + 2 * HOUR, value: 2 }, limits)).toBe(false);
    expect(points.map((p) => p.value)).toEqual([1, 2, 3]);
  });
});
