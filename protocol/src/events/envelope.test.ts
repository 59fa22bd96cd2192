import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { eventDataFixture, tripEndedEventFixture } from '../../test/support/fixtures.js';
import { createEvent, DEVICE_EVENT_TYPES, supportedEventVersions, validateEvent } from './envelope.js';

const reasonOf = (value: unknown) => {
  const verdict = validateEvent(value);
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('validateEvent', () => {
  it('accepts the fixture unchanged', () => {
    const event = tripEndedEventFixture();
    expect(validateEvent(event)).toEqual({ ok: true, value: event });
  });

  it.each([
    ['missing eventId', (e: Record<string, unknown>) => delete e.eventId],
    ['eventId not a MessageId', (e: Record<string, unknown>) => (e.eventId = 'abc')],
    ['occurredAt not ISO-8601', (e: Record<string, unknown>) => (e.occurredAt = '01/06/2025')],
    ['bad source', (e: Record<string, unknown>) => (e.source = 'satellite:1')],
    ['bad subject kind', (e: Record<string, unknown>) => (e.subject = { kind: 'planet', id: 'earth' })],
    ['unknown envelope field', (e: Record<string, unknown>) => (e.extra = 1)],
    ['missing data', (e: Record<string, unknown>) => delete e.data],
    ['fractional schemaVersion', (e: Record<string, unknown>) => (e.schemaVersion = 1.5)],
  ])('%s → schema_violation', (_name, mutate) => {
    const event = tripEndedEventFixture() as unknown as Record<string, unknown>;
    mutate(event);
    expect(reasonOf(event)).toBe('schema_violation');
  });

  it('an unknown type → unknown_event_type', () => {
    expect(reasonOf({ ...tripEndedEventFixture(), type: 'TripPaused' })).toBe('unknown_event_type');
  });

  it('an unknown version → unsupported_version', () => {
    expect(supportedEventVersions('TripEnded')).toEqual([1]);
    expect(reasonOf({ ...tripEndedEventFixture(), schemaVersion: 2 })).toBe('unsupported_version');
  });

  it('an ISO-shaped instant that does not exist → impossible_value', () => {
    expect(reasonOf({ ...tripEndedEventFixture(), occurredAt: '2025-13-45T99:00:00Z' })).toBe('impossible_value');
  });
});

describe('createEvent', () => {
  it('fills version and ISO time and keeps the correlation id', () => {
    const event = createEvent('BatteryLow', {
      eventId: 'VH-0001:b00t1:7',
      source: 'vehicle:VH-0001',
      subject: { kind: 'vehicle', id: 'VH-0001' },
      occurredAt: Date.UTC(2025, 0, 2, 3, 4, 5),
      correlationId: 'trip-1',
      data: eventDataFixture('BatteryLow'),
    });
    expect(event).toMatchObject({
      type: 'BatteryLow',
      schemaVersion: 1,
      occurredAt: '2025-01-02T03:04:05.000Z',
      correlationId: 'trip-1',
    });
  });

  it('defaults occurredAt to now and leaves out an absent correlation id', () => {
    const before = Date.now();
    const event = createEvent('BatteryLow', {
      eventId: 'VH-0001:b00t1:7',
      source: 'vehicle:VH-0001',
      subject: { kind: 'vehicle', id: 'VH-0001' },
      data: eventDataFixture('BatteryLow'),
    });
    expect(Date.parse(event.occurredAt)).toBeGreaterThanOrEqual(before - 1);
    expect('correlationId' in event).toBe(false);
  });

  it('throws a ProtocolError for invalid data', () => {
    expect(() =>
      createEvent('BatteryLow', {
        eventId: 'VH-0001:b00t1:7',
        source: 'vehicle:VH-0001',
        subject: { kind: 'vehicle', id: 'VH-0001' },
        data: { ...eventDataFixture('BatteryLow'), socPct: 150 },
      }),
    ).toThrow(ProtocolError);
  });
});

describe('DEVICE_EVENT_TYPES', () => {
  it('keeps verdicts, payments, fraud and reports out of device hands', () => {
    const all = [...DEVICE_EVENT_TYPES.vehicle, ...DEVICE_EVENT_TYPES.charger];
    for (const type of ['ReturnVerified', 'PaymentProcessed', 'FraudDetected', 'DailyUsageReport', 'VehicleBooked']) {
      expect(all).not.toContain(type);
    }
    expect(DEVICE_EVENT_TYPES.vehicle).toContain('TripEnded');
    expect(DEVICE_EVENT_TYPES.charger).toContain('ChargerFaulted');
  });
});
