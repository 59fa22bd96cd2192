import { describe, expect, it } from 'vitest';
import { applyRecord, createFleetState } from '../fleet/index.js';
import { createFleetReader } from '../fleet/fleet-views.js';
import { eventRecord } from '../../../test/support/fleet-records.js';
import { fleetSnapshot } from './fleet-snapshot.js';
import { isBooked, noteBooking, noteCancellation, noteTrip, type OpenBookings } from './open-bookings.js';
import { connectorReading, HOUR, reading, T0 } from '../../../test/support/analytics-records.js';

describe('fleet status snapshot', () => {
  it('puts every vehicle in one group and counts chargers by their connectors', () => {
    const state = createFleetState({ maxRecentEvents: 10 });
    const vehicle = (id: string) => ({ source: { kind: 'vehicle' as const, id }, subject: { kind: 'vehicle' as const, id } });
    for (const record of [
      reading('VH-1', 1, T0, { speedKph: 0, socPct: 50 }),
      reading('VH-2', 1, T0, { speedKph: 0, socPct: 70 }),
      reading('VH-3', 1, T0, { speedKph: 30, socPct: 90 }),
      reading('VH-4', 1, T0, { speedKph: 0, socPct: 15 }),
      eventRecord('MaintenanceRequired', {}, { ...vehicle('VH-4'), at: T0, seq: 1 }),
      reading('VH-5', 1, T0 - 10 * HOUR, { speedKph: 0, socPct: 5 }),
      connectorReading('CH-1', 1, T0, { connectorId: 1, status: 'Available' }),
      connectorReading('CH-1', 2, T0, { connectorId: 2, status: 'Faulted' }),
      connectorReading('CH-2', 1, T0, { connectorId: 1, status: 'SuspendedEV' }),
      connectorReading('CH-3', 1, T0, { connectorId: 1, status: 'Available' }),
      connectorReading('CH-4', 1, T0, { connectorId: 1, status: 'Preparing' }),
    ]) applyRecord(state, record);
    const reader = createFleetReader(state, { offlineAfterMs: HOUR, lowBatteryPct: 20, maxRecentEvents: 10 });
    const now = T0 + 60_000;
    const bookings: OpenBookings = new Map();
    noteBooking(bookings, 'VH-2', { bookingId: 'bk-1', at: T0 - 60_000, endsAt: T0 + HOUR });

    expect(fleetSnapshot(reader.vehicles(now), reader.chargers(now), (id) => isBooked(bookings, id, now))).toEqual({
      vehicles: { total: 5, available: 1, booked: 1, inTrip: 1, charging: 0, maintenance: 1, offline: 1 },
      chargers: { total: 4, available: 1, charging: 1, faulted: 1, offline: 0 },
      avgSocPct: 56.3,
      lowBatteryCount: 2,
    });
  });

  it('closes a booking by a newer trip, whatever arrives first, and by its end', () => {
    const bookings: OpenBookings = new Map();
    noteTrip(bookings, 'VH-1', T0 + 60_000);
    noteBooking(bookings, 'VH-1', { bookingId: 'bk-1', at: T0, endsAt: T0 + HOUR });
    expect(isBooked(bookings, 'VH-1', T0 + 120_000)).toBe(false);
    noteBooking(bookings, 'VH-1', { bookingId: 'bk-2', at: T0 + 5 * 60_000, endsAt: T0 + HOUR });
    expect(isBooked(bookings, 'VH-1', T0 + 10 * 60_000)).toBe(true);
    expect(isBooked(bookings, 'VH-1', T0 + HOUR)).toBe(false);
  });

  it('closes a booking by its cancellation, whether the cancellation arrives before or after it', () => {
    const bookings: OpenBookings = new Map();
    noteBooking(bookings, 'VH-1', { bookingId: 'bk-1', at: T0, endsAt: T0 + HOUR });
    expect(isBooked(bookings, 'VH-1', T0 + 60_000)).toBe(true);
    noteCancellation(bookings, 'VH-1', 'bk-9');
    expect(isBooked(bookings, 'VH-1', T0 + 60_000)).toBe(true);
    noteCancellation(bookings, 'VH-1', 'bk-1');
    expect(isBooked(bookings, 'VH-1', T0 + 60_000)).toBe(false);
    noteCancellation(bookings, 'VH-2', 'bk-2');
    noteBooking(bookings, 'VH-2', { bookingId: 'bk-2', at: T0, endsAt: T0 + HOUR });
    expect(isBooked(bookings, 'VH-2', T0 + 60_000)).toBe(false);
  });
});
