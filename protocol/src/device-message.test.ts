import { describe, expect, it } from 'vitest';
import { assignRecordId, decodeDeviceMessage, type DeviceMessageInput } from './device-message.js';
import {
  FIXTURE_TIME,
  chargerTelemetryFixture,
  eventDataFixture,
  toPayloadBytes,
  tripEndedEventFixture,
  vehicleTelemetryFixture,
} from '../test/support/fixtures.js';
import type { Identity } from './topics.js';
import { validateRecord } from './records.js';

const vehicle: Identity = { role: 'device', kind: 'vehicle', deviceId: 'VH-0001' };
const charger: Identity = { role: 'device', kind: 'charger', deviceId: 'CH-0001' };
const TELEMETRY = 'fleetwire/v1/vehicle/VH-0001/telemetry';
const EVENTS = 'fleetwire/v1/vehicle/VH-0001/events';

function input(overrides: Partial<DeviceMessageInput> = {}): DeviceMessageInput {
  return {
    topic: TELEMETRY,
    bytes: toPayloadBytes(vehicleTelemetryFixture()),
    identity: vehicle,
    receivedAt: FIXTURE_TIME + 200,
    maxBytes: 16_384,
    maxClockSkewMs: 60_000,
    ...overrides,
  };
}

const reasonOf = (overrides: Partial<DeviceMessageInput>) => {
  const verdict = decodeDeviceMessage(input(overrides));
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('decodeDeviceMessage: telemetry', () => {
  it('turns a vehicle payload into a record with the device-given id', () => {
    const verdict = decodeDeviceMessage(input());
    expect(verdict).toEqual({
      ok: true,
      value: {
        id: 'VH-0001:b00t1:42',
        kind: 'vehicle_telemetry',
        source: { kind: 'vehicle', id: 'VH-0001' },
        priority: 'telemetry',
        deviceTime: FIXTURE_TIME,
        receivedAt: FIXTURE_TIME + 200,
        payload: vehicleTelemetryFixture(),
      },
    });
    expect(verdict.ok && validateRecord(verdict.value).ok).toBe(true);
  });

  it('decodes charger telemetry by topic kind', () => {
    const verdict = decodeDeviceMessage(
      input({ topic: 'fleetwire/v1/charger/CH-0001/telemetry', identity: charger, bytes: toPayloadBytes(chargerTelemetryFixture()) }),
    );
    expect(verdict.ok && verdict.value.kind).toBe('charger_telemetry');
    expect(verdict.ok && verdict.value.id).toBe('CH-0001:c4arg3:7');
  });

  it('leaves the id to the edge when the device sent no epoch/seq', () => {
    const { epoch: _e, seq: _s, ...bare } = vehicleTelemetryFixture();
    const verdict = decodeDeviceMessage(input({ bytes: toPayloadBytes(bare) }));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.value.id).toBeUndefined();
    const record = assignRecordId(verdict.value, 'VH-0001:edge0:1');
    expect(record.id).toBe('VH-0001:edge0:1');
    expect(validateRecord(record).ok).toBe(true);
  });

  it('overrides and flags a payload device id that disagrees with the authenticated one', () => {
    const verdict = decodeDeviceMessage(input({ bytes: toPayloadBytes(vehicleTelemetryFixture({ deviceId: 'VH-9999' })) }));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok || verdict.value.kind !== 'vehicle_telemetry') return;
    expect(verdict.value.deviceIdOverridden).toBe(true);
    expect(verdict.value.payload.deviceId).toBe('VH-0001');
    expect(verdict.value.id).toBe('VH-0001:b00t1:42');
  });

  it('flags a skewed device clock and keeps the device time', () => {
    const verdict = decodeDeviceMessage(input({ receivedAt: FIXTURE_TIME + 3_600_000 }));
    expect(verdict.ok && verdict.value.clock).toEqual({ skewMs: -3_600_000, flag: 'skewed' });
    expect(verdict.ok && verdict.value.deviceTime).toBe(FIXTURE_TIME);
    const near = decodeDeviceMessage(input({ receivedAt: FIXTURE_TIME + 60_000 }));
    expect(near.ok && 'clock' in near.value).toBe(false);
  });

  it.each([
    ['unknown topic', { topic: 'fleetwire/v1/vehicle/VH-0001/gossip' }, 'topic_unknown'],
    ['another device', { topic: 'fleetwire/v1/vehicle/VH-0002/telemetry' }, 'topic_forbidden'],
    ['wildcard', { topic: 'fleetwire/v1/vehicle/+/telemetry' }, 'topic_forbidden'],
    ['edge identity', { identity: { role: 'edge', nodeId: 'node-1' } as Identity }, 'topic_forbidden'],
    ['too large', { maxBytes: 100 }, 'payload_too_large'],
    ['not JSON', { bytes: Buffer.from('{"v":1,') }, 'malformed_json'],
    ['not UTF-8', { bytes: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, 'malformed_json'],
    ['JSON array', { bytes: Buffer.from('[1,2]') }, 'schema_violation'],
    ['charger payload on a vehicle topic', { bytes: toPayloadBytes(chargerTelemetryFixture()) }, 'schema_violation'],
    ['SoC 140', { bytes: toPayloadBytes(vehicleTelemetryFixture({ socPct: 140 })) }, 'impossible_value'],
    ['version 9', { bytes: toPayloadBytes({ ...vehicleTelemetryFixture(), v: 9 }) }, 'unsupported_version'],
  ] as const)('%s → %s', (_name, overrides, reason) => {
    expect(reasonOf(overrides as Partial<DeviceMessageInput>)).toBe(reason);
  });

  it('checks the topic before the size, and the size before parsing', () => {
    const huge = Buffer.alloc(100_000, 0x20);
    expect(reasonOf({ topic: 'nope', bytes: huge })).toBe('topic_unknown');
    expect(reasonOf({ bytes: huge })).toBe('payload_too_large');
  });

  it('accepts a payload exactly at the byte limit', () => {
    const bytes = toPayloadBytes(vehicleTelemetryFixture());
    expect(reasonOf({ bytes, maxBytes: bytes.length })).toBe('ok');
    expect(reasonOf({ bytes, maxBytes: bytes.length - 1 })).toBe('payload_too_large');
  });

  it('reads a payload that is a view into a larger buffer', () => {
    const bytes = toPayloadBytes(vehicleTelemetryFixture());
    const pool = Buffer.concat([Buffer.from('garbage'), bytes, Buffer.from('tail')]);
    expect(reasonOf({ bytes: pool.subarray(7, 7 + bytes.length) })).toBe('ok');
  });
});

describe('decodeDeviceMessage: events', () => {
  it('keeps an event whose id belongs to the device, as critical', () => {
    const event = tripEndedEventFixture();
    const verdict = decodeDeviceMessage(input({ topic: EVENTS, bytes: toPayloadBytes(event) }));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.value).toMatchObject({ id: event.eventId, kind: 'event', priority: 'critical', deviceTime: FIXTURE_TIME });
    expect(verdict.value.deviceIdOverridden).toBeUndefined();
  });

  it('re-ids an event whose id names another device, and rewrites a foreign source', () => {
    const event = { ...tripEndedEventFixture(), eventId: 'VH-0666:b00t1:1', source: 'edge:node-1' };
    const verdict = decodeDeviceMessage(input({ topic: EVENTS, bytes: toPayloadBytes(event) }));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok || verdict.value.kind !== 'event') return;
    expect(verdict.value.id).toBeUndefined();
    expect(verdict.value.deviceIdOverridden).toBe(true);
    expect(verdict.value.payload.source).toBe('vehicle:VH-0001');
    const record = assignRecordId(verdict.value, 'VH-0001:edge0:5');
    expect(record.kind === 'event' && record.payload.eventId).toBe('VH-0001:edge0:5');
    expect(validateRecord(record).ok).toBe(true);
  });

  it('refuses events a device may not produce', () => {
    const fraud = {
      ...tripEndedEventFixture(),
      type: 'FraudDetected',
      data: eventDataFixture('FraudDetected'),
    };
    expect(reasonOf({ topic: EVENTS, bytes: toPayloadBytes(fraud) })).toBe('topic_forbidden');
  });

  it('refuses an event that speaks for another device, by subject or by the ids in its data', () => {
    const trip = tripEndedEventFixture();
    const otherVehicleData = { ...trip, data: { ...trip.data, vehicleId: 'VH-0002' } };
    const otherSubject = { ...trip, type: 'BatteryLow', subject: { kind: 'vehicle', id: 'VH-0002' }, data: { ...eventDataFixture('BatteryLow'), vehicleId: 'VH-0001' } };
    const chargerSubject = { ...otherSubject, subject: { kind: 'charger', id: 'VH-0001' } };
    expect(reasonOf({ topic: EVENTS, bytes: toPayloadBytes(otherVehicleData) })).toBe('device_id_mismatch');
    expect(reasonOf({ topic: EVENTS, bytes: toPayloadBytes(otherSubject) })).toBe('device_id_mismatch');
    expect(reasonOf({ topic: EVENTS, bytes: toPayloadBytes(chargerSubject) })).toBe('device_id_mismatch');
    const own = { ...otherSubject, subject: { kind: 'vehicle', id: 'VH-0001' } };
    expect(reasonOf({ topic: EVENTS, bytes: toPayloadBytes(own) })).toBe('ok');
  });

  it('passes event validation reasons through', () => {
    const unknown = { ...tripEndedEventFixture(), type: 'Teleported' };
    expect(reasonOf({ topic: EVENTS, bytes: toPayloadBytes(unknown) })).toBe('unknown_event_type');
    const telemetryOnEvents = toPayloadBytes(vehicleTelemetryFixture());
    expect(reasonOf({ topic: EVENTS, bytes: telemetryOnEvents })).toBe('schema_violation');
  });
});
