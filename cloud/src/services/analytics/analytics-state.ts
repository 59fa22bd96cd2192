/**
 * The analytics service's decisions as a fold over bus records: `observeRecord` puts one record
 * into the open day and booking window it belongs to (by trusted time, UTC), and
 * `closeReady` closes the days and windows the event clock has passed (event-clock.ts) into
 * the reports to emit. No I/O; the wall clock only refuses records from the future and tells
 * idle partitions, so the same records give the same reports, in any order within the lateness
 * allowance.
 *
 * Memory is bounded by what is open — about 1 + dailyLatenessMs / 1 day days of usage facts and
 * a few booking windows — plus one entry per vehicle, charger, site and window of the day, and
 * the booking sites of the last BOOKING_SITE_MEMORY_MS. Telemetry adds no per-record memory.
 */
import { DAY_MS, type EventRecord, type FleetRecord, trustedTime } from '@fleetwire/protocol';
import { entityOf } from '../fleet/apply-record.js';
import { areaOfBooking, emptyWindow, type Area, type BookingWindow } from './booking-window.js';
import { countUsageEvent, dailyUsageReports, emptyDay, type DailyUsage, type DayUsage } from './day-usage.js';
import type { DemandBaselines } from './demand-baseline.js';
import { closeBookingWindow, type DemandSpike } from './demand-spike.js';
import { advanceClock, createEventClock, isClosed, watermarkOf, type EventClock } from './event-clock.js';
import { noteBooking, noteCancellation, noteTrip, type OpenBookings } from './open-bookings.js';
import { dailyUsageEventId, demandSpikeEventId, isOwnReport, REPORT_TYPES } from './report-events.js';
import type { AnalyticsRules } from './settings.js';
import { dayStartOf, windowStartOf } from './utc-calendar.js';

/**
 * How long a booking's site is remembered, so a trip or payment on a later day is still
 * attributed to it (rentals run hours, payments follow within a day).
 */
export const BOOKING_SITE_MEMORY_MS = 3 * DAY_MS;

interface Sited {
  siteId: string;
  /** Trusted time of the record that said it. */
  at: number;
}

export interface AnalyticsState {
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
}

export function createAnalyticsState(): AnalyticsState {
  return {
    clock: createEventClock(), days: new Map(), windows: new Map(), baselines: new Map(),
    bookingSites: new Map(), chargerSites: new Map(), openBookings: new Map(), reported: new Map(),
  };
}

/**
 * What became of a record: `counted` (a booking, trip, captured payment or finished charging
 * session), `heard` (only says a vehicle was around or where a charger is), `ignored`,
 * `late_day` (its day was closed: left out of every report), `late_window` (counted in its day,
 * but its booking window was closed), `future` (stamped too far ahead), `own_report`.
 */
export type Observation = 'counted' | 'heard' | 'ignored' | 'late_day' | 'late_window' | 'future' | 'own_report';

export type ObservationRules = Pick<AnalyticsRules, 'dailyLatenessMs' | 'spikeLatenessMs' | 'spikeWindowMs' | 'currency' | 'idlePartitionMs'>;

/** Where a record was read (`{topic}/{partition}`, see event-clock.ts) and the wall clock then. */
export interface Delivery {
  partition: string;
  now: number;
}

export function observeRecord(state: AnalyticsState, record: FleetRecord, delivery: Delivery, rules: ObservationRules): Observation {
  const at = trustedTime(record);
  if (record.kind === 'event' && REPORT_TYPES.has(record.payload.type)) {
    if (!isOwnReport(record)) return 'ignored';
    state.reported.set(record.id, at);
    return 'own_report';
  }
  if (!advanceClock(state.clock, delivery.partition, at, delivery.now)) return 'future';
  if (record.kind === 'charger_telemetry') {
    if (record.payload.siteId !== undefined) noteSite(state.chargerSites, record.source.id, { siteId: record.payload.siteId, at });
    return 'heard';
  }
  const watermark = watermarkOf(state.clock, delivery.now, rules.idlePartitionMs);
  const day = openDay(state, at, watermark, rules);
  if (record.kind === 'vehicle_telemetry') {
    day?.vehiclesHeard.add(record.source.id);
    return day === undefined ? 'late_day' : 'heard';
  }
  return observeEvent(state, record, at, day, watermark, rules);
}

function observeEvent(
  state: AnalyticsState, record: EventRecord, at: number, day: DayUsage | undefined, watermark: number | null, rules: ObservationRules,
): Observation {
  const event = record.payload;
  const vehicleId = entityOf(event, 'vehicle');
  // The open bookings are current state, not a report: late or not, the newest wins.
  if (event.type === 'VehicleBooked') {
    noteBooking(state.openBookings, event.data.vehicleId, { bookingId: event.data.bookingId, at, endsAt: Date.parse(event.data.endsAt) });
    if (event.data.siteId !== undefined) noteSite(state.bookingSites, event.data.bookingId, { siteId: event.data.siteId, at });
  }
  if (event.type === 'TripStarted' || event.type === 'TripEnded') noteTrip(state.openBookings, event.data.vehicleId, at);
  if (event.type === 'BookingCancelled') noteCancellation(state.openBookings, event.data.vehicleId, event.data.bookingId);
  if (day === undefined) return 'late_day';

  if (vehicleId !== null) day.vehiclesHeard.add(vehicleId);
  const counted = countUsageEvent(day, event, rules.currency);
  if (event.type === 'VehicleBooked') {
    const window = openWindow(state, at, watermark, rules);
    if (window === undefined) return 'late_window';
    window.bookings.set(event.data.bookingId, areaOfBooking(event.data));
  }
  return counted ? 'counted' : vehicleId === null ? 'ignored' : 'heard';
}

function noteSite(sites: Map<string, Sited>, id: string, candidate: Sited): void {
  const known = sites.get(id);
  if (known === undefined || candidate.at >= known.at) sites.set(id, candidate);
}

function openDay(state: AnalyticsState, at: number, watermark: number | null, rules: ObservationRules): DayUsage | undefined {
  const start = dayStartOf(at);
  if (isClosed(watermark, start + DAY_MS, rules.dailyLatenessMs)) return undefined;
  const day = state.days.get(start) ?? emptyDay(start);
  state.days.set(start, day);
  return day;
}

function openWindow(state: AnalyticsState, at: number, watermark: number | null, rules: ObservationRules): BookingWindow | undefined {
  const start = windowStartOf(at, rules.spikeWindowMs);
  if (isClosed(watermark, start + rules.spikeWindowMs, rules.spikeLatenessMs)) return undefined;
  const window = state.windows.get(start) ?? emptyWindow(start);
  state.windows.set(start, window);
  return window;
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
 * open day can need any more.
 */
export function closeReady(state: AnalyticsState, rules: AnalyticsRules, now: number): ClosedReports {
  const closed: ClosedReports = { daily: [], spikes: [] };
  const watermark = watermarkOf(state.clock, now, rules.idlePartitionMs);
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
