/**
 * Which vehicles are booked and not yet driven: the one thing a FleetStatusSnapshot needs that
 * the fleet state does not keep. Per vehicle, the newest VehicleBooked and the newest trip event
 * (TripStarted or TripEnded); the booking is open while it is newer than the trip and has not
 * ended. Comparing times rather than applying in order keeps the answer the same when the trip
 * event overtakes its booking. A BookingCancelled closes the booking it names, whichever of the
 * two arrives first. One entry per vehicle.
 */
export interface VehicleBookings {
  booking: { bookingId: string; at: number; endsAt: number } | null;
  tripAt: number | null;
  /** Booking ids cancelled for this vehicle (the newest few: a cancellation names its own booking). */
  cancelled?: string[];
}

const CANCELLATIONS_KEPT = 4;

export type OpenBookings = Map<string, VehicleBookings>;

const entryOf = (bookings: OpenBookings, vehicleId: string): VehicleBookings => {
  const entry = bookings.get(vehicleId) ?? { booking: null, tripAt: null };
  bookings.set(vehicleId, entry);
  return entry;
};

export function noteBooking(bookings: OpenBookings, vehicleId: string, booking: { bookingId: string; at: number; endsAt: number }): void {
  const entry = entryOf(bookings, vehicleId);
  if (entry.booking === null || booking.at > entry.booking.at) entry.booking = booking;
}

export function noteTrip(bookings: OpenBookings, vehicleId: string, at: number): void {
  const entry = entryOf(bookings, vehicleId);
  if (entry.tripAt === null || at > entry.tripAt) entry.tripAt = at;
}

export function noteCancellation(bookings: OpenBookings, vehicleId: string, bookingId: string): void {
  const entry = entryOf(bookings, vehicleId);
  entry.cancelled = [bookingId, ...(entry.cancelled ?? []).filter((id) => id !== bookingId)].slice(0, CANCELLATIONS_KEPT);
}

/** Adds what another partition knows of the vehicles: the same newest-wins rules as noting each record. */
export function mergeOpenBookings(into: OpenBookings, from: OpenBookings): void {
  for (const [vehicleId, entry] of from) {
    if (entry.booking !== null) noteBooking(into, vehicleId, entry.booking);
    if (entry.tripAt !== null) noteTrip(into, vehicleId, entry.tripAt);
    // Oldest first, so the newest cancellations stay in front.
    for (const bookingId of [...(entry.cancelled ?? [])].reverse()) noteCancellation(into, vehicleId, bookingId);
  }
}

export function isBooked(bookings: OpenBookings, vehicleId: string, now: number): boolean {
  const entry = bookings.get(vehicleId);
  const booking = entry?.booking ?? null;
  if (booking === null || booking.endsAt <= now || entry?.cancelled?.includes(booking.bookingId) === true) return false;
  return entry?.tripAt === null || entry?.tripAt === undefined || booking.at > entry.tripAt;
}
