/** Records and rules for the analytics tests: the usage events with chosen values, on top of the fleet tests' builders. */
import type { EventRecord } from '@fleetwire/protocol';
import { Value } from '@sinclair/typebox/value';
import { HOUR_MS as HOUR } from '@fleetwire/protocol';
import { eventRecord } from './fleet-records.js';
import { AnalyticsRulesSchema, type AnalyticsRules } from '../../src/services/analytics/settings.js';

export { connectorReading, reading, T0 } from './fleet-records.js';

export { HOUR };

export function rulesWith(overrides: Partial<AnalyticsRules> = {}): AnalyticsRules {
  return { ...(Value.Default(AnalyticsRulesSchema, {}) as AnalyticsRules), ...overrides };
}

const backend = { kind: 'cloud', id: 'bookings' } as const;

export function booked(seq: number, at: number, booking: { vehicleId: string; siteId?: string; zone?: string; bookingId?: string }): EventRecord {
  const { vehicleId, bookingId = `bk-${seq}`, siteId, zone } = booking;
  // Named even when undefined: the protocol's sample booking has a site and a zone of its own.
  return eventRecord('VehicleBooked', {
    bookingId, vehicleId, customerRef: 'cu-1', startsAt: new Date(at + 60_000).toISOString(), endsAt: new Date(at + 2 * HOUR).toISOString(), siteId, zone,
  }, { source: backend, subject: { kind: 'vehicle', id: vehicleId }, at, seq });
}

export function tripEnded(seq: number, at: number, trip: { vehicleId: string; bookingId: string; distanceKm: number; durationS: number; energyUsedKwh: number }): EventRecord {
  return eventRecord('TripEnded', { tripId: `tr-${trip.bookingId}`, ...trip }, {
    source: { kind: 'vehicle', id: trip.vehicleId }, subject: { kind: 'vehicle', id: trip.vehicleId }, at, seq,
  });
}

export function paid(seq: number, at: number, payment: { bookingId: string; amountMinor: number; currency?: string; status?: 'captured' | 'refunded' | 'failed' }): EventRecord {
  return eventRecord('PaymentProcessed', { paymentId: `pay-${seq}`, currency: 'EUR', status: 'captured', ...payment }, {
    source: backend, subject: { kind: 'booking', id: payment.bookingId }, at, seq,
  });
}

export function chargingStopped(seq: number, at: number, session: { chargerId: string; sessionId: string; energyWh: number }): EventRecord {
  return eventRecord('ChargingSessionStopped', { connectorId: 1, meterStopWh: 100_000, durationS: 3600, reason: 'EVDisconnected', ...session }, {
    source: { kind: 'charger', id: session.chargerId }, subject: { kind: 'charger', id: session.chargerId }, at, seq,
  });
}
