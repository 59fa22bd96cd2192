/** What the fleet-day tests look for in the events they read back, as plain functions. */
import type { EventEnvelope, EventRecord, EventType } from '@fleetwire/protocol';

/** Every core event of the design: one fleet day must put each on the bus. */
export const CORE_EVENTS: readonly EventType[] = [
  'VehicleBooked', 'VehicleUnlocked', 'TripStarted', 'TripEnded', 'ReturnVerified', 'PaymentProcessed',
  'MaintenanceRequired', 'BatteryLow', 'DemandSpike', 'FraudDetected', 'DailyUsageReport', 'FleetStatusSnapshot',
];

export function ofType<T extends EventType>(events: readonly EventRecord[], type: T): Array<EventEnvelope<T>> {
  return events.filter((e) => e.payload.type === type).map((e) => e.payload as EventEnvelope<T>);
}

/** `VehicleBooked 12, TripEnded 11, …` in order of first appearance. */
export function countsByType(events: readonly EventRecord[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.payload.type, (counts.get(e.payload.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type} ${n}`).join(', ');
}

/** Distinct bookings made at a site within [start, end). */
export function bookingsInWindow(bookings: ReadonlyArray<EventEnvelope<'VehicleBooked'>>, siteId: string, window: { start: string; end: string }): number {
  const [start, end] = [Date.parse(window.start), Date.parse(window.end)];
  const inWindow = bookings.filter((b) => b.data.siteId === siteId && Date.parse(b.occurredAt) >= start && Date.parse(b.occurredAt) < end);
  return new Set(inWindow.map((b) => b.data.bookingId)).size;
}
