/**
 * One UTC day of fleet usage, and the DailyUsageReports it closes into.
 *
 * The day keeps the facts of each booking, trip, payment and charging session under its own
 * business id (a map, not a running sum), so a re-delivered record — or the same trip reported
 * twice under two record ids — replaces its own entry instead of counting again. Sums are taken
 * only when the day closes, in id order, so the numbers do not depend on arrival order.
 *
 * Which site a trip, payment or charging session belongs to is resolved at close time too (the
 * booking that started it, the charger's site), so the VehicleBooked may arrive after its trip.
 */
import type { EventData, EventEnvelope } from '@fleetwire/protocol';
import { DAY_MS } from '@fleetwire/protocol';
import { isoDateOf } from './utc-calendar.js';

export type DailyUsage = EventData['DailyUsageReport'];

interface TripFacts {
  bookingId: string;
  vehicleId: string;
  distanceKm: number;
  durationS: number;
  energyUsedKwh: number;
}

export interface DayUsage {
  /** Start of the UTC day, ms. */
  start: number;
  /** By booking id: the vehicle and the site it was booked at. */
  bookings: Map<string, { vehicleId: string; siteId: string | null }>;
  /** By trip id (TripEnded). */
  trips: Map<string, TripFacts>;
  /** Captured payments in the report currency, by payment id. */
  payments: Map<string, { bookingId: string; amountMinor: number }>;
  /** Finished charging sessions, by `{chargerId}/{sessionId}` (session ids are the charger's). */
  charging: Map<string, { chargerId: string; energyKwh: number }>;
  /** Every vehicle a record named this day: the fleet's vehicle-time for utilisation. */
  vehiclesHeard: Set<string>;
}

/** Where the day's trips, payments and sessions happened; answered at close time. */
export interface SiteLookup {
  bookingSite(bookingId: string): string | undefined;
  chargerSite(chargerId: string): string | undefined;
}

export function emptyDay(start: number): DayUsage {
  return { start, bookings: new Map(), trips: new Map(), payments: new Map(), charging: new Map(), vehiclesHeard: new Set() };
}

/**
 * Adds what another part of the bus saw of the same day (analytics-state.ts merges the
 * partitions' partial days): entries keyed by business id replace their own, so merging a
 * partial twice, or two partials naming the same trip, counts it once.
 */
export function mergeDay(into: DayUsage, from: DayUsage): void {
  for (const [id, booking] of from.bookings) into.bookings.set(id, booking);
  for (const [id, trip] of from.trips) into.trips.set(id, trip);
  for (const [id, payment] of from.payments) into.payments.set(id, payment);
  for (const [id, session] of from.charging) into.charging.set(id, session);
  for (const vehicleId of from.vehiclesHeard) into.vehiclesHeard.add(vehicleId);
}

/** Folds a usage event into the day; false when the event is not one the report counts. */
export function countUsageEvent(day: DayUsage, event: EventEnvelope, currency: string): boolean {
  switch (event.type) {
    case 'VehicleBooked':
      day.bookings.set(event.data.bookingId, { vehicleId: event.data.vehicleId, siteId: event.data.siteId ?? null });
      return true;
    case 'TripEnded': {
      const { tripId, bookingId, vehicleId, distanceKm, durationS, energyUsedKwh } = event.data;
      day.trips.set(tripId, { bookingId, vehicleId, distanceKm, durationS, energyUsedKwh });
      return true;
    }
    case 'PaymentProcessed':
      // Gross captured revenue: a refund or a failure is not revenue, and summing currencies is meaningless.
      if (event.data.status !== 'captured' || event.data.currency !== currency) return false;
      day.payments.set(event.data.paymentId, { bookingId: event.data.bookingId, amountMinor: event.data.amountMinor });
      return true;
    case 'ChargingSessionStopped':
      day.charging.set(`${event.data.chargerId}/${event.data.sessionId}`, { chargerId: event.data.chargerId, energyKwh: event.data.energyWh / 1000 });
      return true;
    default:
      return false;
  }
}

interface Scope {
  bookings: number;
  trips: TripFacts[];
  vehicles: Set<string>;
  revenueMinor: number;
  chargingKwh: number;
}

const emptyScope = (): Scope => ({ bookings: 0, trips: [], vehicles: new Set(), revenueMinor: 0, chargingKwh: 0 });
const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;
const sortedValues = <T>(map: Map<string, T>): T[] => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);

/**
 * The day's reports: fleet-wide first, then (with `perSite`) one per site with activity, by site
 * id. Activity without a known site counts only fleet-wide.
 */
export function dailyUsageReports(day: DayUsage, sites: SiteLookup, rules: { currency: string; perSite: boolean }): DailyUsage[] {
  const fleet = emptyScope();
  const bySite = new Map<string, Scope>();
  const scopesOf = (siteId: string | null | undefined): Scope[] => {
    if (!rules.perSite || siteId === null || siteId === undefined) return [fleet];
    const site = bySite.get(siteId) ?? emptyScope();
    bySite.set(siteId, site);
    return [fleet, site];
  };
  const siteOfBooking = (bookingId: string) => day.bookings.get(bookingId)?.siteId ?? sites.bookingSite(bookingId);

  for (const id of [...day.vehiclesHeard].sort()) fleet.vehicles.add(id);
  for (const booking of sortedValues(day.bookings)) {
    for (const scope of scopesOf(booking.siteId)) {
      scope.bookings += 1;
      scope.vehicles.add(booking.vehicleId);
    }
  }
  for (const trip of sortedValues(day.trips)) {
    for (const scope of scopesOf(siteOfBooking(trip.bookingId))) {
      scope.trips.push(trip);
      scope.vehicles.add(trip.vehicleId);
    }
  }
  for (const payment of sortedValues(day.payments)) {
    for (const scope of scopesOf(siteOfBooking(payment.bookingId))) scope.revenueMinor += payment.amountMinor;
  }
  for (const session of sortedValues(day.charging)) {
    for (const scope of scopesOf(sites.chargerSite(session.chargerId))) scope.chargingKwh += session.energyKwh;
  }

  const date = isoDateOf(day.start);
  const report = (scope: Scope, siteId?: string): DailyUsage => {
    const tripSeconds = scope.trips.reduce((sum, trip) => sum + trip.durationS, 0);
    // Vehicle-time: the vehicles in scope for the whole day. A trip is counted on the day it
    // ended, so one that crossed midnight can push a day over 100 %: capped.
    const vehicleSeconds = (scope.vehicles.size * DAY_MS) / 1000;
    return {
      date,
      ...(siteId === undefined ? {} : { siteId }),
      bookings: scope.bookings,
      trips: scope.trips.length,
      activeVehicles: new Set(scope.trips.map((trip) => trip.vehicleId)).size,
      distanceKm: round(scope.trips.reduce((sum, trip) => sum + trip.distanceKm, 0), 3),
      energyUsedKwh: round(scope.trips.reduce((sum, trip) => sum + trip.energyUsedKwh, 0), 3),
      chargingEnergyKwh: round(scope.chargingKwh, 3),
      avgTripDurationS: scope.trips.length === 0 ? 0 : round(tripSeconds / scope.trips.length, 1),
      utilisationPct: vehicleSeconds === 0 ? 0 : round(Math.min(100, (tripSeconds / vehicleSeconds) * 100), 2),
      revenueMinor: scope.revenueMinor,
      currency: rules.currency,
    };
  };
  const sitesInOrder = [...bySite.keys()].sort();
  return [report(fleet), ...sitesInOrder.map((siteId) => report(bySite.get(siteId) as Scope, siteId))];
}
