/**
 * The analytics service's second stage as plain functions over data: `mergePartial` adds one
 * partition's partial (partition-partials.ts) to the open UTC days and booking windows of the
 * whole fleet, and `closeReady` closes the days and windows the fleet-wide event clock has
 * passed (event-clock.ts) into the reports to emit. No I/O; the wall clock only tells idle
 * partitions, so the same partials give the same reports in any order and however many
 * instances produced them (each fact is keyed by its business id).
 *
 * `observeRecord` is both stages for one record, as one instance reading one partition sees it.
 *
 * Memory is bounded by what is open — about 1 + dailyLatenessMs / 1 day days of usage facts and
 * a few booking windows — plus one entry per vehicle, charger, site and window of the day, the
 * booking sites of the last BOOKING_SITE_MEMORY_MS and the reports kept for the API.
 */
import { DAY_MS, type EventRecord, type FleetRecord } from '@fleetwire/protocol';
import { emptyWindow, mergeWindow, type Area, type BookingWindow } from './booking-window.js';
import { addReport } from './daily-report-store.js';
import { dailyUsageReports, emptyDay, mergeDay, type DailyUsage, type DayUsage } from './day-usage.js';
import type { DemandBaselines } from './demand-baseline.js';
import { closeBookingWindow, type DemandSpike } from './demand-spike.js';
import { createEventClock, expectSources, isClosed, noteSource, watermarkOf, type EventClock } from './event-clock.js';
import { mergeOpenBookings, type OpenBookings } from './open-bookings.js';
import { emptyPartial, foldRecord, noteSite, type FoldOutcome, type Partial, type PartialRules, type Sited } from './partition-partials.js';
import { dailyUsageEventId, demandSpikeEventId } from './report-events.js';
import type { AnalyticsRules } from './settings.js';

/**
 * What became of a record, both stages together: the first stage's outcome, or `late_day` (its
 * day was closed: left out of every report) / `late_window` (counted in its day, but its booking
 * window was closed) when its partial was merged.
 */
export type Observation = FoldOutcome | 'late_day' | 'late_window';

/**
 * How long a booking's site is remembered, so a trip or payment on a later day is still
 * attributed to it (rentals run hours, payments follow within a day).
 */
export const BOOKING_SITE_MEMORY_MS = 3 * DAY_MS;

export interface AnalyticsState {
  /** Over the input partitions, from their partials. */
  clock: EventClock;
  /** Open days by start. */
  days: Map<number, DayUsage>;
  /** Open booking windows by start. */
  windows: Map<number, BookingWindow>;
  baselines: DemandBaselines;
  bookingSites: Map<string, Sited>;
  chargerSites: Map<string, Sited>;
  openBookings: OpenBookings;
  /** Ids of daily and spike reports emitted, or seen on the bus, with the end of what they cover: never emitted again. */
  reported: Map<string, number>;
  /** Reports closed but not yet stored on the bus: kept (and checkpointed) until they are. */
  pending: EventRecord[];
  /** Daily reports emitted or seen, by id, for the read API (at most maxStoredReports). */
  stored: Map<string, DailyUsage>;
  /** Whether the partitions holding input were listed (`expectSources`), so a first start waits for all of them. */
  listed: boolean;
}

export function createAnalyticsState(): AnalyticsState {
  return {
    clock: createEventClock(), days: new Map(), windows: new Map(), baselines: new Map(),
    bookingSites: new Map(), chargerSites: new Map(), openBookings: new Map(), reported: new Map(), pending: [], stored: new Map(), listed: false,
  };
}

/**
 * The input partitions, listed before the first partial is merged: until each has sent one (or
 * fell silent for idlePartitionMs: an empty partition never sends one), nothing closes.
 */
export function listSources(state: AnalyticsState, sources: readonly string[], now: number): void {
  expectSources(state.clock, sources, now);
  state.listed = true;
}

/** Facts of a partial left out because their day or window was already closed (by business id, vehicles heard included). */
export interface LateFacts {
  day: number;
  window: number;
}

export function mergePartial(state: AnalyticsState, partial: Partial, now: number, rules: Pick<AnalyticsRules, 'dailyLatenessMs' | 'spikeLatenessMs' | 'spikeWindowMs' | 'maxStoredReports'>): LateFacts {
  // Judged by the clock before this partial: its facts came with records up to its newest.
  // Every partition counts here (none idle), so what is late depends on the partials alone.
  const watermark = watermarkOf(state.clock, now, Infinity);
  if (partial.heard) noteSource(state.clock, partial.source, partial.newest, now);
  for (const seen of partial.seen) {
    state.reported.set(seen.id, seen.end);
    if (seen.daily !== undefined) addReport(state.stored, seen.id, seen.daily, rules.maxStoredReports);
  }
  for (const [bookingId, sited] of partial.bookingSites) noteSite(state.bookingSites, bookingId, sited);
  for (const [chargerId, sited] of partial.chargerSites) noteSite(state.chargerSites, chargerId, sited);
  mergeOpenBookings(state.openBookings, partial.openBookings);
  // Facts of a closed day or window — a record out of order in its partition by more than the
  // lateness, one from a partition passed over as idle, or a replayed tail repeating what was
  // merged before the close — are left out, so a report once emitted is final.
  const late: LateFacts = { day: 0, window: 0 };
  for (const [start, day] of partial.days) {
    const open = state.days.get(start) ?? (isClosed(watermark, start + DAY_MS, rules.dailyLatenessMs) ? undefined : emptyDay(start));
    if (open === undefined) {
      late.day += day.bookings.size + day.trips.size + day.payments.size + day.charging.size + day.vehiclesHeard.size;
      continue;
    }
    mergeDay(open, day);
    state.days.set(start, open);
  }
  for (const [start, window] of partial.windows) {
    const open = state.windows.get(start) ?? (isClosed(watermark, start + rules.spikeWindowMs, rules.spikeLatenessMs) ? undefined : emptyWindow(start));
    if (open === undefined) {
      late.window += window.bookings.size;
      continue;
    }
    mergeWindow(open, window);
    state.windows.set(start, open);
  }
  return late;
}

/** Both stages for one record of `partition`, read at `now`: what one instance reading that partition computes. */
export function observeRecord(
  state: AnalyticsState, record: FleetRecord, delivery: { partition: string; now: number }, rules: PartialRules & Pick<AnalyticsRules, 'dailyLatenessMs' | 'spikeLatenessMs' | 'maxStoredReports'>,
): Observation {
  const known = state.clock.partitions.get(delivery.partition)?.newest;
  const clock = { newest: known === undefined || !Number.isFinite(known) ? null : known };
  const partial = emptyPartial(delivery.partition, clock);
  const outcome = foldRecord(clock, partial, record, delivery.now, rules);
  const late = mergePartial(state, partial, delivery.now, rules);
  return late.day > 0 ? 'late_day' : late.window > 0 ? 'late_window' : outcome;
}

export interface ClosedDay {
  dayStart: number;
  id: string;
  report: DailyUsage;
}

export interface ClosedSpike {
  windowStart: number;
  area: Area;
  id: string;
  spike: DemandSpike;
}

export interface ClosedReports {
  daily: ClosedDay[];
  spikes: ClosedSpike[];
}

/**
 * Closes, oldest first, every day and window the clock has passed, and returns the reports not
 * yet emitted or seen on the bus (their ids are remembered from here on). Also forgets what no
 * open day can need any more. `idlePartitionMs` Infinity: no partition counts as idle, so what
 * closes is a function of the partials merged alone.
 */
export function closeReady(state: AnalyticsState, rules: AnalyticsRules, now: number, idlePartitionMs = rules.idlePartitionMs): ClosedReports {
  const closed: ClosedReports = { daily: [], spikes: [] };
  const watermark = watermarkOf(state.clock, now, idlePartitionMs);
  const sites = {
    bookingSite: (bookingId: string) => state.bookingSites.get(bookingId)?.siteId,
    chargerSite: (chargerId: string) => state.chargerSites.get(chargerId)?.siteId,
  };
  for (const dayStart of [...state.days.keys()].sort((a, b) => a - b)) {
    if (!isClosed(watermark, dayStart + DAY_MS, rules.dailyLatenessMs)) break;
    for (const report of dailyUsageReports(state.days.get(dayStart) as DayUsage, sites, rules)) {
      const id = dailyUsageEventId(dayStart, report.siteId);
      if (remember(state, id, dayStart + DAY_MS)) closed.daily.push({ dayStart, id, report });
    }
    state.days.delete(dayStart);
  }
  for (const windowStart of [...state.windows.keys()].sort((a, b) => a - b)) {
    if (!isClosed(watermark, windowStart + rules.spikeWindowMs, rules.spikeLatenessMs)) break;
    // The baselines learn from every closed window, reported before or not.
    for (const { area, data } of closeBookingWindow(state.windows.get(windowStart) as BookingWindow, state.baselines, rules)) {
      const id = demandSpikeEventId(windowStart, rules.spikeWindowMs, area);
      if (remember(state, id, windowStart + rules.spikeWindowMs)) closed.spikes.push({ windowStart, area, id, spike: data });
    }
    state.windows.delete(windowStart);
  }
  forgetOld(state, watermark, rules);
  return closed;
}

/** False when the id was already emitted or seen on the bus. */
function remember(state: AnalyticsState, id: string, end: number): boolean {
  if (state.reported.has(id)) return false;
  state.reported.set(id, end);
  return true;
}

function forgetOld(state: AnalyticsState, watermark: number | null, rules: AnalyticsRules): void {
  if (watermark === null) return;
  for (const [bookingId, sited] of state.bookingSites) if (sited.at < watermark - BOOKING_SITE_MEMORY_MS) state.bookingSites.delete(bookingId);
  // A report id can only recur for a day or window that is still open; once its end is this far
  // behind the clock, nothing can reopen it.
  const horizon = watermark - Math.max(rules.dailyLatenessMs, rules.spikeLatenessMs) - DAY_MS;
  for (const [id, end] of state.reported) if (end < horizon) state.reported.delete(id);
}
