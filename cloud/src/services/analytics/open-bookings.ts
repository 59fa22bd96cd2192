/**
 * Which vehicles are booked and not yet driven: the one thing a FleetStatusSnapshot needs that
 * the fleet state does not keep. Per vehicle, the newest VehicleBooked and the newest trip event
 * (TripStarted or TripEnded); the booking is open while it is newer than the trip and has not
 * ended. Comparing times rather than applying in order keeps the answer the same when the trip
 * event overtakes its booking. One entry per vehicle.
 */
export interface VehicleBookings {
  booking: { bookingId: string; at: number; endsAt: number } | null;
  tripAt: number | null;
}

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

export function isBooked(bookings: OpenBookings, vehicleId: string, now: number): boolean {
  const entry = bookings.get(vehicleId);
  const booking = entry?.booking ?? null;
  if (booking === null || booking.endsAt <= now) return false;
  return entry?.tripAt === null || entry?.tripAt === undefined || booking.at > entry.tripAt;
}
