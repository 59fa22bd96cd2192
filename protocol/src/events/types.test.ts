import { describe, expect, it } from 'vitest';
import { eventDataFixture } from '../../test/support/fixtures.js';
import { createEvent, validateEvent } from './envelope.js';
import { EVENT_TYPES, type EventType } from './types.js';

function envelope(type: string, data: unknown) {
  return {
    eventId: 'VH-0001:b00t1:1',
    type,
    schemaVersion: 1,
    occurredAt: '2025-06-01T08:30:00.000Z',
    source: 'edge:node-1',
    subject: { kind: 'vehicle', id: 'VH-0001' },
    data,
  };
}

const reasonOf = (type: string, data: unknown) => {
  const verdict = validateEvent(envelope(type, data));
  return verdict.ok ? 'ok' : verdict.reason;
};

/** One data mutation per type that breaks its schema, and the reason it must produce. */
const INVALID: Record<EventType, { mutate: (data: Record<string, unknown>) => void; reason: string }> = {
  VehicleBooked: { mutate: (d) => (d.startsAt = 'tomorrow'), reason: 'schema_violation' },
  BookingCancelled: { mutate: (d) => (d.cancelledBy = 'weather'), reason: 'schema_violation' },
  VehicleUnlocked: { mutate: (d) => (d.method = 'crowbar'), reason: 'schema_violation' },
  TripStarted: { mutate: (d) => (d.socPct = 104), reason: 'impossible_value' },
  TripEnded: { mutate: (d) => (d.distanceKm = -3), reason: 'impossible_value' },
  ReturnVerified: { mutate: (d) => (d.damage = { score: 1.7, findings: [] }), reason: 'impossible_value' },
  PaymentProcessed: { mutate: (d) => (d.currency = 'euro'), reason: 'schema_violation' },
  MaintenanceRequired: { mutate: (d) => (d.confidence = 2), reason: 'impossible_value' },
  BatteryLow: { mutate: (d) => delete d.socPct, reason: 'schema_violation' },
  DemandSpike: { mutate: (d) => (d.bookings = 4.5), reason: 'schema_violation' },
  FraudDetected: { mutate: (d) => (d.reasons = []), reason: 'schema_violation' },
  ChargingSessionStarted: { mutate: (d) => (d.connectorId = 99), reason: 'impossible_value' },
  ChargingSessionStopped: { mutate: (d) => (d.reason = 'Bored'), reason: 'schema_violation' },
  ChargerFaulted: { mutate: (d) => (d.errorCode = 'NoError'), reason: 'schema_violation' },
  DailyUsageReport: { mutate: (d) => (d.date = '2025-6-1'), reason: 'schema_violation' },
  FleetStatusSnapshot: { mutate: (d) => (d.extra = true), reason: 'schema_violation' },
  ReturnStarted: { mutate: (d) => (d.sagaId = 'trip-0099'), reason: 'schema_violation' },
  FleetDecisionMade: { mutate: (d) => (d.decision = 'scrapped'), reason: 'schema_violation' },
  DepositHeld: { mutate: (d) => delete d.reason, reason: 'schema_violation' },
  ChargeAdjusted: { mutate: (d) => (d.amountMinor = 12.5), reason: 'schema_violation' },
  TechnicianTaskCreated: { mutate: (d) => (d.priority = 'whenever'), reason: 'schema_violation' },
  PaymentRequested: { mutate: (d) => (d.attempt = 0), reason: 'impossible_value' },
  ReturnTimedOut: { mutate: (d) => (d.step = 'lunch'), reason: 'schema_violation' },
  ReturnClosed: { mutate: (d) => (d.outcome = 'forgotten'), reason: 'schema_violation' },
  UnlockVehicle: { mutate: (d) => (d.deadline = 'soon'), reason: 'schema_violation' },
  LockVehicle: { mutate: (d) => (d.requestedBy = 'vehicle:VH-0001'), reason: 'schema_violation' },
  CommandAcknowledged: { mutate: (d) => (d.result = 'maybe'), reason: 'schema_violation' },
  CommandFailed: { mutate: (d) => (d.reason = 'bored'), reason: 'schema_violation' },
  VehicleLocked: { mutate: (d) => delete d.position, reason: 'schema_violation' },
};

describe('event data schemas', () => {
  it('covers every event type', () => {
    expect(EVENT_TYPES).toHaveLength(29);
    expect(Object.keys(INVALID).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it.each(EVENT_TYPES)('%s: the sample is valid', (type) => {
    expect(reasonOf(type, eventDataFixture(type))).toBe('ok');
  });

  it.each(EVENT_TYPES)('%s: invalid data is refused with its reason', (type) => {
    const data = eventDataFixture(type) as unknown as Record<string, unknown>;
    INVALID[type].mutate(data);
    const verdict = validateEvent(envelope(type, data));
    expect(verdict).toMatchObject({ ok: false, reason: INVALID[type].reason });
    expect(!verdict.ok && verdict.detail).toContain(`${type} /data`);
  });

  it.each(EVENT_TYPES)('%s: data of another type is refused', (type) => {
    const other = EVENT_TYPES[(EVENT_TYPES.indexOf(type) + 1) % EVENT_TYPES.length]!;
    expect(reasonOf(type, eventDataFixture(other))).not.toBe('ok');
  });

  it.each(EVENT_TYPES)('%s: createEvent builds a valid envelope', (type) => {
    const event = createEvent(type, {
      eventId: 'edge-1:e1:9',
      source: 'edge:node-1',
      subject: { kind: 'fleet', id: 'fleet' },
      occurredAt: 0,
      data: eventDataFixture(type),
    });
    expect(event.type).toBe(type);
    expect(event.schemaVersion).toBe(1);
    expect(validateEvent(event).ok).toBe(true);
  });

  it('TripEnded carries the trip facts', () => {
    const data = eventDataFixture('TripEnded');
    expect(Object.keys(data)).toEqual(
      expect.arrayContaining(['tripId', 'bookingId', 'distanceKm', 'durationS', 'energyUsedKwh', 'endPosition']),
    );
  });

  it('DemandSpike accepts a zone without a site', () => {
    const { siteId: _s, ...data } = eventDataFixture('DemandSpike');
    expect(reasonOf('DemandSpike', data)).toBe('ok');
  });

  it('FleetStatusSnapshot accepts an unknown average SoC as null', () => {
    expect(reasonOf('FleetStatusSnapshot', { ...eventDataFixture('FleetStatusSnapshot'), avgSocPct: null })).toBe('ok');
  });
});
