/**
 * What a window's bookings are judged against: an exponentially weighted mean of the same
 * window (same time of day) on past days, per area. Demand has a daily rhythm — a morning peak
 * is not a spike — so each window of the day keeps its own mean.
 *
 * - A day on which the window had no booking counts as 0. Such days are folded in lazily (one
 *   multiplication by (1 − α)^days when the window next has bookings), so memory is one number
 *   per area and window of the day, whatever the gaps.
 * - The history starts at the area's first booking; the mean starts at 0 and is bias-corrected
 *   (divided by 1 − (1 − α)^n after n days), so a young area is not judged against a mean that
 *   is still climbing from zero.
 */
import { DAY_MS } from '@fleetwire/protocol';

interface WindowMean {
  /** Uncorrected mean, including every day up to `throughDay`. */
  mean: number;
  throughDay: number;
}

export interface AreaHistory {
  /** Day number (ms / DAY_MS) of the area's first booking. */
  firstDay: number;
  /** By window of the day (0 … windows per day − 1). */
  windows: Map<number, WindowMean>;
}

export type DemandBaselines = Map<string, AreaHistory>;

export interface Baseline {
  /** Days of history before the judged day. */
  days: number;
  /** Expected bookings; 0 without history. */
  expected: number;
}

export const dayNumberOf = (at: number) => Math.floor(at / DAY_MS);
const windowOfDay = (windowStart: number, windowMs: number) => (windowStart % DAY_MS) / windowMs;

/** The area's history, started at `day` when it has none. */
export function historyOf(baselines: DemandBaselines, areaKey: string, day: number): AreaHistory {
  const history = baselines.get(areaKey) ?? { firstDay: day, windows: new Map() };
  baselines.set(areaKey, history);
  return history;
}

/** The mean of the days before `windowStart`'s day, for its window of the day. */
export function baselineOf(history: AreaHistory, windowStart: number, windowMs: number, smoothing: number): Baseline {
  const day = dayNumberOf(windowStart);
  const days = Math.max(0, day - history.firstDay);
  if (days === 0) return { days, expected: 0 };
  const keep = 1 - smoothing;
  const window = history.windows.get(windowOfDay(windowStart, windowMs));
  const mean = window === undefined ? 0 : window.mean * keep ** (day - 1 - window.throughDay);
  return { days, expected: mean / (1 - keep ** days) };
}

/** Folds a closed window's bookings into the mean of its window of the day. */
export function recordBookings(history: AreaHistory, windowStart: number, windowMs: number, smoothing: number, bookings: number): void {
  const day = dayNumberOf(windowStart);
  const slot = windowOfDay(windowStart, windowMs);
  const window = history.windows.get(slot) ?? { mean: 0, throughDay: history.firstDay - 1 };
  const keep = 1 - smoothing;
  const before = window.mean * keep ** (day - 1 - window.throughDay);
  history.windows.set(slot, { mean: keep * before + smoothing * bookings, throughDay: day });
}
