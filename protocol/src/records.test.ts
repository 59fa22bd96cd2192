import { describe, expect, it } from 'vitest';
import {
  chargerRecordFixture,
  eventDataFixture,
  eventRecordFixture,
  tripEndedEventFixture,
  vehicleRecordFixture,
} from '../test/support/fixtures.js';
import { createEvent } from './events/envelope.js';
import { EVENT_TYPES, type EventType } from './events/types.js';
import { classifyPriority, createEventRecord, trustedTime, validateRecord, type FleetRecord } from './records.js';

const reasonOf = (value: unknown) => {
  const verdict = validateRecord(value);
  return verdict.ok ? 'ok' : verdict.reason;
};

function eventOf(type: EventType) {
  return createEvent(type, {
    eventId: 'node-1:e1:1',
    source: 'edge:node-1',
    subject: { kind: 'fleet', id: 'fleet' },
    occurredAt: 0,
    data: eventDataFixture(type),
  });
}

describe('trustedTime', () => {
  it('is the device time, unless the edge flagged the clock as skewed', () => {
    expect(trustedTime({ deviceTime: 5_000, receivedAt: 5_100 })).toBe(5_000);
    expect(trustedTime({ deviceTime: 9_000_000, receivedAt: 5_100, clock: { skewMs: 8_994_900, flag: 'skewed' } })).toBe(5_100);
    expect(trustedTime({ deviceTime: 5_000, receivedAt: 5_100, clock: { skewMs: -100, flag: 'corrected' } })).toBe(5_000);
  });
});

describe('classifyPriority', () => {
  const expected: Record<EventType, string> = {
    TripEnded: 'critical',
    ReturnVerified: 'critical',
    FraudDetected: 'critical',
    PaymentProcessed: 'critical',
    ChargerFaulted: 'critical',
    ChargingSessionStopped: 'critical',
    VehicleBooked: 'critical',
    BookingCancelled: 'critical',
    UnlockVehicle: 'critical',
    LockVehicle: 'critical',
    CommandAcknowledged: 'critical',
    CommandFailed: 'critical',
    VehicleLocked: 'critical',
    VehicleUnlocked: 'critical',
    TripStarted: 'critical',
    ChargingSessionStarted: 'critical',
    BatteryLow: 'alert',
    MaintenanceRequired: 'alert',
    DemandSpike: 'alert',
    DailyUsageReport: 'telemetry',
    FleetStatusSnapshot: 'telemetry',
    ReturnStarted: 'critical',
    FleetDecisionMade: 'critical',
    DepositHeld: 'critical',
    ChargeAdjusted: 'critical',
    TechnicianTaskCreated: 'critical',
    PaymentRequested: 'critical',
    ReturnTimedOut: 'critical',
    ReturnClosed: 'critical',
  };

  it.each(EVENT_TYPES)('%s', (type) => {
    expect(classifyPriority({ kind: 'event', payload: eventOf(type) })).toBe(expected[type]);
  });

  it('telemetry is telemetry', () => {
    expect(classifyPriority(vehicleRecordFixture())).toBe('telemetry');
    expect(classifyPriority(chargerRecordFixture())).toBe('telemetry');
  });
});

describe('validateRecord', () => {
  it.each([
    ['vehicle', vehicleRecordFixture()],
    ['charger', chargerRecordFixture()],
    ['event', eventRecordFixture()],
  ])('accepts a %s record unchanged', (_name, record) => {
    expect(validateRecord(record)).toEqual({ ok: true, value: record });
  });

  it('accepts clock and override flags', () => {
    const record = { ...vehicleRecordFixture(), clock: { skewMs: -3_600_000, flag: 'skewed' }, deviceIdOverridden: true };
    expect(reasonOf(record)).toBe('ok');
  });

  it.each([
    ['id not a MessageId', (r: Record<string, unknown>) => (r.id = 'nope')],
    ['unknown kind', (r: Record<string, unknown>) => (r.kind = 'photo')],
    ['unknown priority', (r: Record<string, unknown>) => (r.priority = 'urgent')],
    ['fractional receivedAt', (r: Record<string, unknown>) => (r.receivedAt = 1.5)],
    ['deviceIdOverridden false', (r: Record<string, unknown>) => (r.deviceIdOverridden = false)],
    ['unknown field', (r: Record<string, unknown>) => (r.extra = 1)],
    ['vehicle telemetry from a charger', (r: Record<string, unknown>) => (r.source = { kind: 'charger', id: 'CH-1' })],
    ['payload of the wrong kind', (r: Record<string, unknown>) => (r.kind = 'charger_telemetry')],
  ])('%s → schema_violation', (_name, mutate) => {
    const record = vehicleRecordFixture() as unknown as Record<string, unknown>;
    mutate(record);
    expect(reasonOf(record)).toBe('schema_violation');
  });

  it('carries the payload reason: impossible value, unknown event type', () => {
    const vehicle = vehicleRecordFixture();
    vehicle.payload.socPct = 180;
    const verdict = validateRecord(vehicle);
    expect(verdict).toMatchObject({ ok: false, reason: 'impossible_value' });
    expect(!verdict.ok && verdict.detail).toContain('/socPct');
    const event = eventRecordFixture() as unknown as { payload: { type: string } };
    event.payload.type = 'Teleported';
    expect(reasonOf(event)).toBe('unknown_event_type');
  });
});

describe('createEventRecord', () => {
  it('wraps an event with its id, priority and time', () => {
    const event = tripEndedEventFixture();
    const record: FleetRecord = createEventRecord(event, { source: { kind: 'edge', id: 'node-1' }, receivedAt: 5 });
    expect(record).toEqual({
      id: event.eventId,
      kind: 'event',
      source: { kind: 'edge', id: 'node-1' },
      priority: 'critical',
      deviceTime: Date.parse(event.occurredAt),
      receivedAt: 5,
      payload: event,
    });
    expect(validateRecord(record).ok).toBe(true);
  });

  it('accepts cloud-produced events', () => {
    const record = createEventRecord(eventOf('MaintenanceRequired'), {
      source: { kind: 'cloud', id: 'maintenance' },
      receivedAt: 1,
    });
    expect(record.priority).toBe('alert');
    expect(reasonOf(record)).toBe('ok');
  });
});
