/**
 * The demand spike decision: a closed booking window is a spike for an area when it had at
 * least `spikeMinBookings` bookings and at least `spikeRatio` times its baseline (the same
 * window on past days, demand-baseline.ts), once the area has `spikeWarmupDays` of history.
 *
 * The baseline is floored at `spikeMinBaseline`: a window that never saw a booking would
 * otherwise make any booking an infinite ratio. The event carries that floored value, so
 * `ratio = bookings / baseline` holds in every event.
 */
import type { EventData } from '@fleetwire/protocol';
import { bookingsByArea, type Area, type BookingWindow } from './booking-window.js';
import { baselineOf, dayNumberOf, historyOf, recordBookings, type Baseline, type DemandBaselines } from './demand-baseline.js';
import type { AnalyticsRules } from './settings.js';

export type DemandSpike = EventData['DemandSpike'];
export type SpikeRules = Pick<AnalyticsRules, 'spikeWindowMs' | 'spikeRatio' | 'spikeMinBookings' | 'spikeMinBaseline' | 'spikeSmoothing' | 'spikeWarmupDays'>;

export interface Spike {
  area: Area;
  data: DemandSpike;
}

/** Whether `bookings` against `baseline` is a spike: the baseline used and the ratio, or null. */
export function judgeBookings(bookings: number, baseline: Baseline, rules: SpikeRules): { baseline: number; ratio: number } | null {
  if (baseline.days < rules.spikeWarmupDays || bookings < rules.spikeMinBookings) return null;
  const expected = Math.max(baseline.expected, rules.spikeMinBaseline);
  const ratio = bookings / expected;
  return ratio >= rules.spikeRatio ? { baseline: round(expected), ratio: round(ratio) } : null;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/**
 * Judges a closed window for every area that had bookings in it, then folds it into their
 * baselines. Windows must be closed in time order (the baseline of a window is its past days).
 */
export function closeBookingWindow(window: BookingWindow, baselines: DemandBaselines, rules: SpikeRules): Spike[] {
  const spikes: Spike[] = [];
  const end = window.start + rules.spikeWindowMs;
  for (const { area, bookings } of bookingsByArea(window)) {
    const history = historyOf(baselines, area.key, dayNumberOf(window.start));
    const verdict = judgeBookings(bookings, baselineOf(history, window.start, rules.spikeWindowMs, rules.spikeSmoothing), rules);
    recordBookings(history, window.start, rules.spikeWindowMs, rules.spikeSmoothing, bookings);
    if (verdict === null) continue;
    spikes.push({
      area,
      data: {
        ...(area.siteId === undefined ? {} : { siteId: area.siteId }),
        ...(area.zone === undefined ? {} : { zone: area.zone }),
        window: { start: new Date(window.start).toISOString(), end: new Date(end).toISOString() },
        bookings,
        ...verdict,
      },
    });
  }
  return spikes;
}
