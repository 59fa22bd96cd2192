import { describe, expect, it } from 'vitest';
import { FLEET_AREA, emptyWindow, type Area } from './booking-window.js';
import { baselineOf, historyOf, recordBookings, type DemandBaselines } from './demand-baseline.js';
import { closeBookingWindow, judgeBookings } from './demand-spike.js';
import { HOUR, rulesWith, T0 } from '../../../test/support/analytics-records.js';
import { DAY_MS } from '@fleetwire/protocol';

const rules = rulesWith({ spikeWindowMs: HOUR, spikeRatio: 2, spikeMinBookings: 5, spikeMinBaseline: 1, spikeSmoothing: 0.5, spikeWarmupDays: 3 });
const SITE: Area = { key: 'site:site-a', siteId: 'site-a' };

/** Closes one window at `start` with `count` bookings in `area`. */
function closeWith(baselines: DemandBaselines, start: number, count: number, area: Area = SITE) {
  const window = emptyWindow(start);
  for (let i = 0; i < count; i++) window.bookings.set(`bk-${start}-${i}`, area);
  return closeBookingWindow(window, baselines, rules);
}

describe('demand baseline', () => {
  it('is the bias-corrected weighted mean of the same window on past days, counting days without bookings as 0', () => {
    const baselines: DemandBaselines = new Map();
    const history = historyOf(baselines, SITE.key, Math.floor(T0 / DAY_MS));
    recordBookings(history, T0, HOUR, 0.5, 4);
    recordBookings(history, T0 + DAY_MS, HOUR, 0.5, 4);
    expect(baselineOf(history, T0 + 2 * DAY_MS, HOUR, 0.5)).toEqual({ days: 2, expected: 4 });
    // A day with no booking in that window (day 2) pulls the mean down: (0.5·0 + 0.25·4 + 0.125·4) / (1 − 0.5^3).
    expect(baselineOf(history, T0 + 3 * DAY_MS, HOUR, 0.5).expected).toBeCloseTo(1.5 / 0.875, 10);
    // Another window of the day has its own mean.
    expect(baselineOf(history, T0 + 2 * DAY_MS + HOUR, HOUR, 0.5)).toEqual({ days: 2, expected: 0 });
  });
});

describe('demand spike decision', () => {
  it('needs the warm-up days, the minimum count and the ratio', () => {
    expect(judgeBookings(10, { days: 2, expected: 2 }, rules)).toBeNull();
    expect(judgeBookings(4, { days: 5, expected: 1 }, rules)).toBeNull();
    expect(judgeBookings(7, { days: 5, expected: 4 }, rules)).toBeNull();
    expect(judgeBookings(8, { days: 5, expected: 4 }, rules)).toEqual({ baseline: 4, ratio: 2 });
  });

  it('floors the baseline, so a window that never had bookings is not an infinite ratio', () => {
    expect(judgeBookings(6, { days: 5, expected: 0 }, rules)).toEqual({ baseline: 1, ratio: 6 });
  });

  it('flags a closed window well above the same hour of past days, and learns from it', () => {
    const baselines: DemandBaselines = new Map();
    for (let day = 0; day < 3; day++) expect(closeWith(baselines, T0 + day * DAY_MS, 3)).toEqual([]);
    const [spike, ...none] = closeWith(baselines, T0 + 3 * DAY_MS, 9);
    expect(none).toEqual([]);
    expect(spike).toEqual({
      area: SITE,
      data: { siteId: 'site-a', window: { start: '2026-01-04T08:00:00.000Z', end: '2026-01-04T09:00:00.000Z' }, bookings: 9, baseline: 3, ratio: 3 },
    });
    // The spike raised the mean of that window: the same count the next day is no longer twice it.
    expect(closeWith(baselines, T0 + 4 * DAY_MS, 9)).toEqual([]);
  });

  it('judges each area on its own; a booking without site or zone counts for the fleet', () => {
    const baselines: DemandBaselines = new Map();
    for (let day = 0; day < 3; day++) closeWith(baselines, T0 + day * DAY_MS, 1, FLEET_AREA);
    for (let day = 0; day < 3; day++) closeWith(baselines, T0 + day * DAY_MS, 6);
    const window = emptyWindow(T0 + 3 * DAY_MS);
    for (let i = 0; i < 6; i++) window.bookings.set(`site-${i}`, SITE);
    for (let i = 0; i < 5; i++) window.bookings.set(`fleet-${i}`, FLEET_AREA);
    expect(closeBookingWindow(window, baselines, rules).map((s) => [s.area.key, s.data.ratio])).toEqual([['fleet', 5]]);
  });
});
