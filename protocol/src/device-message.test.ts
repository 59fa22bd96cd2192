import { describe, expect, it } from 'vitest';
import { assignRecordId, decodeDeviceMessage, MAX_READINGS_PER_MESSAGE, type DecodedMessage, type DeviceMessageInput } from './device-message.js';
import type { Verdict } from './reasons.js';
import type { PendingRecord } from './records.js';
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

/** The one record of a single-object message. */
const only = (verdict: Verdict<DecodedMessage>): PendingRecord | undefined => {
  if (!verdict.ok) return undefined;
  expect(verdict.value.readings).toHaveLength(1);
  const [reading] = verdict.value.readings;
  return reading?.ok ? reading.record : undefined;
};

const reasonOf = (overrides: Partial<DeviceMessageInput>) => {
  const verdict = decodeDeviceMessage(input(overrides));
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('decodeDeviceMessage: telemetry', () => {
  it('turns a vehicle payload into a record with the device-given id', () => {
    const verdict = decodeDeviceMessage(input());
    const record = {
      id: 'VH-0001:b00t1:42',
      kind: 'vehicle_telemetry',
      source: { kind: 'vehicle', id: 'VH-0001' },
      priority: 'telemetry',
      deviceTime: FIXTURE_TIME,
      receivedAt: FIXTURE_TIME + 200,
      payload: vehicleTelemetryFixture(),
    };
    expect(verdict).toEqual({ ok: true, value: { array: false, readings: [{ ok: true, index: 0, record }], unknownFields: 0, droppedFields: 0 } });
    expect(validateRecord(only(verdict)).ok).toBe(true);
  });

  it('decodes charger telemetry by topic kind', () => {
    const verdict = decodeDeviceMessage(
      input({ topic: 'fleetwire/v1/charger/CH-0001/telemetry', identity: charger, bytes: toPayloadBytes(chargerTelemetryFixture()) }),
    );
    expect(only(verdict)?.kind).toBe('charger_telemetry');
    expect(only(verdict)?.id).toBe('CH-0001:c4arg3:7');
  });

  it('leaves the id to the edge when the device sent no epoch/seq', () => {
    const { epoch: _e, seq: _s, ...bare } = vehicleTelemetryFixture();
    const pending = only(decodeDeviceMessage(input({ bytes: toPayloadBytes(bare) })));
    expect(pending).toBeDefined();
    expect(pending!.id).toBeUndefined();
    const record = assignRecordId(pending!, 'VH-0001:edge0:1');
    expect(record.id).toBe('VH-0001:edge0:1');
    expect(validateRecord(record).ok).toBe(true);
  });

  it('overrides and flags a payload device id that disagrees with the authenticated one', () => {
    const record = only(decodeDeviceMessage(input({ bytes: toPayloadBytes(vehicleTelemetryFixture({ deviceId: 'VH-9999' })) })));
    expect(record?.kind).toBe('vehicle_telemetry');
    if (record?.kind !== 'vehicle_telemetry') return;
    expect(record.deviceIdOverridden).toBe(true);
    expect(record.payload.deviceId).toBe('VH-0001');
    expect(record.id).toBe('VH-0001:b00t1:42');
  });

  it('flags a skewed device clock and keeps the device time', () => {
    const record = only(decodeDeviceMessage(input({ receivedAt: FIXTURE_TIME + 3_600_000 })));
    expect(record?.clock).toEqual({ skewMs: -3_600_000, flag: 'skewed' });
    expect(record?.deviceTime).toBe(FIXTURE_TIME);
    const near = only(decodeDeviceMessage(input({ receivedAt: FIXTURE_TIME + 60_000 })));
    expect(near && 'clock' in near).toBe(false);
  });

  it.each([
    ['unknown topic', { topic: 'fleetwire/v1/vehicle/VH-0001/gossip' }, 'topic_unknown'],
    ['another device', { topic: 'fleetwire/v1/vehicle/VH-0002/telemetry' }, 'topic_forbidden'],
    ['wildcard', { topic: 'fleetwire/v1/vehicle/+/telemetry' }, 'topic_forbidden'],
    ['edge identity', { identity: { role: 'edge', nodeId: 'node-1' } as Identity }, 'topic_forbidden'],
    ['too large', { maxBytes: 100 }, 'payload_too_large'],
    ['not JSON', { bytes: Buffer.from('{"v":1,') }, 'malformed_json'],
    ['not UTF-8', { bytes: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, 'malformed_json'],
    ['empty array', { bytes: Buffer.from('[]') }, 'schema_violation'],
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

describe('decodeDeviceMessage: sparse readings, arrays and unknown fields', () => {
  const at = (seq: number, extra: Record<string, unknown> = {}) => ({ v: 1, ts: FIXTURE_TIME + seq * 1000, epoch: 'b00t1', seq, ...extra });

  it('accepts a reading with only the version and the device time', () => {
    const record = only(decodeDeviceMessage(input({ bytes: toPayloadBytes({ v: 1, ts: FIXTURE_TIME }) })));
    expect(record).toMatchObject({ kind: 'vehicle_telemetry', deviceTime: FIXTURE_TIME, payload: { v: 1, ts: FIXTURE_TIME } });
    expect(reasonOf({ bytes: toPayloadBytes({ v: 1 }) })).toBe('schema_violation');
  });

  it('decodes an array of readings, each with its own time and id; a bad element costs only itself', () => {
    const readings = [at(1, { socPct: 50 }), at(2, { socPct: 140 }), 'junk', at(3, { odometerKm: 10 })];
    const verdict = decodeDeviceMessage(input({ bytes: toPayloadBytes(readings), receivedAt: FIXTURE_TIME + 5000 }));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.value.array).toBe(true);
    expect(verdict.value.readings.map((r) => (r.ok ? r.record.id : `${r.index}:${r.reason}`))).toEqual(['VH-0001:b00t1:1', '1:impossible_value', '2:schema_violation', 'VH-0001:b00t1:3']);
    expect(verdict.value.readings.map((r) => (r.ok ? r.record.deviceTime : undefined))).toEqual([FIXTURE_TIME + 1000, undefined, undefined, FIXTURE_TIME + 3000]);
    const refused = verdict.value.readings[1];
    expect(refused?.ok === false && refused.detail).toMatch(/^reading \[1\]: \/socPct/);
    expect(refused?.ok === false && JSON.parse(refused.json)).toEqual(readings[1]);
  });

  it('refuses an array on the events channel and an array over the bound', () => {
    expect(reasonOf({ topic: EVENTS, bytes: toPayloadBytes([tripEndedEventFixture()]) })).toBe('schema_violation');
    const many = Array.from({ length: MAX_READINGS_PER_MESSAGE + 1 }, (_, seq) => at(seq));
    expect(reasonOf({ bytes: toPayloadBytes(many), maxBytes: 1e7 })).toBe('schema_violation');
  });

  it('keeps unknown fields under ext by default, drops them or refuses them by policy, and counts them', () => {
    const bytes = toPayloadBytes(at(1, { socPct: 50, cabinTempC: 21, battery: { tempC: 20, sohPct: 97 } }));
    const kept = decodeDeviceMessage(input({ bytes }));
    expect(kept.ok && kept.value).toMatchObject({ unknownFields: 2, droppedFields: 0 });
    expect(only(kept)?.payload).toEqual({ ...at(1, { socPct: 50, battery: { tempC: 20 } }), ext: { cabinTempC: 21, 'battery.sohPct': 97 } });
    expect(validateRecord(assignRecordId(only(kept)!, 'VH-0001:b00t1:1')).ok).toBe(true);
    const dropped = decodeDeviceMessage(input({ bytes, unknownFields: 'drop' }));
    expect(dropped.ok && dropped.value).toMatchObject({ unknownFields: 2, droppedFields: 2 });
    expect(only(dropped)?.payload).toEqual(at(1, { socPct: 50, battery: { tempC: 20 } }));
    expect(reasonOf({ bytes, unknownFields: 'refuse' })).toBe('schema_violation');
  });

  it('keeps a reading of only a new sensor, but refuses the other kind\'s telemetry on a topic', () => {
    expect(only(decodeDeviceMessage(input({ bytes: toPayloadBytes(at(1, { cabinTempC: 21 })) })))?.payload).toMatchObject({ ext: { cabinTempC: 21 } });
    expect(decodeDeviceMessage(input({ bytes: toPayloadBytes(chargerTelemetryFixture()) }))).toMatchObject({ ok: false, reason: 'schema_violation', detail: expect.stringMatching(/^charger telemetry on a vehicle topic/) });
  });

  it('still checks ranges of known fields beside unknown ones', () => {
    expect(reasonOf({ bytes: toPayloadBytes(at(1, { socPct: 140, cabinTempC: 21 })) })).toBe('impossible_value');
  });
});

describe('decodeDeviceMessage: events', () => {
  it('keeps an event whose id belongs to the device, as critical', () => {
    const event = tripEndedEventFixture();
    const record = only(decodeDeviceMessage(input({ topic: EVENTS, bytes: toPayloadBytes(event) })));
    expect(record).toMatchObject({ id: event.eventId, kind: 'event', priority: 'critical', deviceTime: FIXTURE_TIME });
    expect(record?.deviceIdOverridden).toBeUndefined();
  });

  it('re-ids an event whose id names another device, and rewrites a foreign source', () => {
    const event = { ...tripEndedEventFixture(), eventId: 'VH-0666:b00t1:1', source: 'edge:node-1' };
    const pending = only(decodeDeviceMessage(input({ topic: EVENTS, bytes: toPayloadBytes(event) })));
    expect(pending?.kind).toBe('event');
    if (pending?.kind !== 'event') return;
    expect(pending.id).toBeUndefined();
    expect(pending.deviceIdOverridden).toBe(true);
    expect(pending.payload.source).toBe('vehicle:VH-0001');
    const record = assignRecordId(pending, 'VH-0001:edge0:5');
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
