/**
 * The analytics service's first stage, per bus partition: what one partition's records say about
 * the open UTC days and booking windows, as a **partial** — the facts of one batch, keyed by
 * business id (bookings, trips, payments, sessions, vehicles heard, bookings per window), the
 * sites bookings and chargers named, the vehicles' newest booking and trip, and the partition's
 * event time after the batch. The second stage (analytics-state.ts) merges the partials of every
 * partition; since each fact is keyed by its id, merging a partial twice (a replayed tail) or in
 * another order changes nothing.
 *
 * Lateness is not decided here but where the days close, by the fleet-wide watermark: a
 * partition's own time runs ahead of it (one record stamped by a cloud service's clock, or a
 * device's events carried before the backend's bookings), and judging by it would call records
 * late that the other partitions still wait for.
 */
import { trustedTime, type EventRecord, type FleetRecord } from '@fleetwire/protocol';
import { entityOf } from '../fleet/apply-record.js';
import { areaOfBooking, emptyWindow, type BookingWindow } from './booking-window.js';
import { countUsageEvent, emptyDay, type DailyUsage, type DayUsage } from './day-usage.js';
import { MAX_CLOCK_LEAD_MS } from './event-clock.js';
import { noteBooking, noteCancellation, noteTrip, type OpenBookings } from './open-bookings.js';
import { isOwnReport, REPORT_TYPES } from './report-events.js';
import type { AnalyticsRules } from './settings.js';
import { dayStartOf, windowStartOf } from './utc-calendar.js';

/** Where a booking or charger is, as said by the record with trusted time `at` (the newest wins). */
export interface Sited {
  siteId: string;
  at: number;
}

export function noteSite(sites: Map<string, Sited>, id: string, candidate: Sited): void {
  const known = sites.get(id);
  if (known === undefined || candidate.at >= known.at) sites.set(id, candidate);
}

/** The first stage's checkpointed state of one partition: its event time. */
export interface SourceClock {
  /** Newest trusted time of the partition's input records; null before the first. */
  newest: number | null;
}

/** A report of this service read back from the bus: never emitted again, and served by the API. */
export interface SeenReport {
  id: string;
  /** End of the day or window it covers. */
  end: number;
  daily?: DailyUsage;
}

export interface Partial {
  /** `{topic}#{partition}` of the input. */
  source: string;
  /** The partition's event time after the batch. */
  newest: number | null;
  /**
   * Whether the batch held an input record (not only reports, which the service's own output keeps
   * sending): only such a partial tells the partition is still delivering (event-clock.ts, idleness).
   */
  heard: boolean;
  days: Map<number, DayUsage>;
  windows: Map<number, BookingWindow>;
  bookingSites: Map<string, Sited>;
  chargerSites: Map<string, Sited>;
  openBookings: OpenBookings;
  seen: SeenReport[];
}

/** A batch's partial, starting from the partition's event time before it. */
export function emptyPartial(source: string, clock: SourceClock): Partial {
  return { source, newest: clock.newest, heard: false, days: new Map(), windows: new Map(), bookingSites: new Map(), chargerSites: new Map(), openBookings: new Map(), seen: [] };
}

/**
 * What became of a record in the first stage: `counted` (a booking, trip, captured payment or
 * finished charging session), `heard` (only says a vehicle was around or where a charger is),
 * `ignored`, `future` (stamped too far ahead), `own_report`. Whether it was late is decided when
 * its partial is merged (analytics-state.ts).
 */
export type FoldOutcome = 'counted' | 'heard' | 'ignored' | 'future' | 'own_report';

export type PartialRules = Pick<AnalyticsRules, 'spikeWindowMs' | 'currency'>;

/** Folds one record of the partition (in offset order) into the batch's partial; `now` only refuses records from the future. */
export function foldRecord(clock: SourceClock, partial: Partial, record: FleetRecord, now: number, rules: PartialRules): FoldOutcome {
  const at = trustedTime(record);
  if (record.kind === 'event' && REPORT_TYPES.has(record.payload.type)) {
    if (!isOwnReport(record)) return 'ignored';
    partial.seen.push({ id: record.id, end: at, ...(record.payload.type === 'DailyUsageReport' ? { daily: record.payload.data } : {}) });
    return 'own_report';
  }
  // One record stamped in the future must not close every open day.
  if (at > now + MAX_CLOCK_LEAD_MS) return 'future';
  clock.newest = Math.max(clock.newest ?? at, at);
  partial.newest = clock.newest;
  partial.heard = true;
  if (record.kind === 'charger_telemetry') {
    if (record.payload.siteId !== undefined) noteSite(partial.chargerSites, record.source.id, { siteId: record.payload.siteId, at });
    return 'heard';
  }
  const day = dayOf(partial, at);
  if (record.kind === 'vehicle_telemetry') {
    day.vehiclesHeard.add(record.source.id);
    return 'heard';
  }
  return foldEvent(partial, record, at, day, rules);
}

function foldEvent(partial: Partial, record: EventRecord, at: number, day: DayUsage, rules: PartialRules): FoldOutcome {
  const event = record.payload;
  const vehicleId = entityOf(event, 'vehicle');
  // The open bookings are current state, not a report: late or not, the newest wins.
  if (event.type === 'VehicleBooked') {
    noteBooking(partial.openBookings, event.data.vehicleId, { bookingId: event.data.bookingId, at, endsAt: Date.parse(event.data.endsAt) });
    if (event.data.siteId !== undefined) noteSite(partial.bookingSites, event.data.bookingId, { siteId: event.data.siteId, at });
  }
  if (event.type === 'TripStarted' || event.type === 'TripEnded') noteTrip(partial.openBookings, event.data.vehicleId, at);
  if (event.type === 'BookingCancelled') noteCancellation(partial.openBookings, event.data.vehicleId, event.data.bookingId);

  if (vehicleId !== null) day.vehiclesHeard.add(vehicleId);
  const counted = countUsageEvent(day, event, rules.currency);
  if (event.type === 'VehicleBooked') {
    const start = windowStartOf(at, rules.spikeWindowMs);
    const window = partial.windows.get(start) ?? emptyWindow(start);
    partial.windows.set(start, window);
    window.bookings.set(event.data.bookingId, areaOfBooking(event.data));
  }
  return counted ? 'counted' : vehicleId === null ? 'ignored' : 'heard';
}

function dayOf(partial: Partial, at: number): DayUsage {
  const start = dayStartOf(at);
  const day = partial.days.get(start) ?? emptyDay(start);
  partial.days.set(start, day);
  return day;
}
