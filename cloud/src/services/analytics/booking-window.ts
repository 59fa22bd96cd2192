/**
 * Bookings per area in one fixed window, for the demand spike detector. An area is where the
 * booking says it was made: its site, else its zone, else the fleet as a whole (the simulator's
 * bookings carry `siteId`; the protocol also allows a `zone`).
 *
 * Like the day, a window keeps each booking under its booking id, so a re-delivery changes nothing.
 */
import type { EventData } from '@fleetwire/protocol';

export interface Area {
  /** `site:{id}`, `zone:{label}` or `fleet`: the key of its baseline and its event id. */
  key: string;
  siteId?: string;
  zone?: string;
}

export const FLEET_AREA: Area = { key: 'fleet' };

export function areaOfBooking(booking: EventData['VehicleBooked']): Area {
  if (booking.siteId !== undefined) return { key: `site:${booking.siteId}`, siteId: booking.siteId };
  if (booking.zone !== undefined) return { key: `zone:${booking.zone}`, zone: booking.zone };
  return FLEET_AREA;
}

export interface BookingWindow {
  /** Start of the window, ms. */
  start: number;
  /** Area of each booking, by booking id. */
  bookings: Map<string, Area>;
}

export function emptyWindow(start: number): BookingWindow {
  return { start, bookings: new Map() };
}

/** Adds another partition's bookings of the same window: by booking id, so a repeat counts once. */
export function mergeWindow(into: BookingWindow, from: BookingWindow): void {
  for (const [bookingId, area] of from.bookings) into.bookings.set(bookingId, area);
}

/** Bookings per area, areas in key order. */
export function bookingsByArea(window: BookingWindow): Array<{ area: Area; bookings: number }> {
  const counts = new Map<string, { area: Area; bookings: number }>();
  for (const area of window.bookings.values()) {
    const entry = counts.get(area.key) ?? { area, bookings: 0 };
    entry.bookings += 1;
    counts.set(area.key, entry);
  }
  return [...counts.values()].sort((a, b) => (a.area.key < b.area.key ? -1 : 1));
}
