import { describe, expect, it } from 'vitest';
import { BUS_TOPICS, fromBusValue, toBusMessage, toDeadLetter, DEAD_LETTER_DETAIL_MAX } from './bus-mapping.js';
import { chargerRecordFixture, eventRecordFixture, vehicleRecordFixture } from '../test/support/fixtures.js';

describe('toBusMessage', () => {
  it('vehicle telemetry → fleetwire.telemetry.vehicle keyed by vehicle id', () => {
    const record = vehicleRecordFixture();
    const message = toBusMessage(record);
    expect(message.topic).toBe('fleetwire.telemetry.vehicle');
    expect(message.key).toBe('VH-0001');
    expect(message.headers).toEqual({ 'fw-id': record.id, 'fw-kind': 'vehicle_telemetry', 'fw-schema': 'vehicle_telemetry.v1' });
    expect(JSON.parse(message.value.toString())).toEqual(record);
  });

  it('charger telemetry → fleetwire.telemetry.charger keyed by charger id', () => {
    const record = chargerRecordFixture();
    const message = toBusMessage(record);
    expect(message.topic).toBe(BUS_TOPICS.chargerTelemetry);
    expect(message.key).toBe('CH-0001');
    expect(message.headers).toEqual({ 'fw-id': record.id, 'fw-kind': 'charger_telemetry', 'fw-schema': 'charger_telemetry.v1' });
  });

  it('events → fleetwire.events keyed by subject id', () => {
    const record = eventRecordFixture();
    const message = toBusMessage(record);
    expect(message.topic).toBe('fleetwire.events');
    expect(message.key).toBe('trip-0099');
    expect(message.headers).toEqual({ 'fw-id': record.id, 'fw-kind': 'event', 'fw-schema': 'TripEnded.v1' });
  });

  it('carries the JSON the caller already holds, byte for byte', () => {
    const record = vehicleRecordFixture();
    const line = Buffer.from(JSON.stringify(record, null, 0).replace('{', '{ '));
    expect(toBusMessage(record, line).value).toBe(line);
  });

  it('fromBusValue reads back what toBusMessage wrote', () => {
    for (const record of [vehicleRecordFixture(), chargerRecordFixture(), eventRecordFixture()]) {
      expect(fromBusValue(toBusMessage(record).value)).toEqual({ ok: true, value: record });
    }
    expect(fromBusValue(Buffer.from('{oops')).ok || 'refused').toBe('refused');
  });
});

describe('toDeadLetter', () => {
  it('keeps the original bytes and says why, keyed by source', () => {
    const raw = Buffer.from('{"socPct": 140}');
    const message = toDeadLetter(raw, 'impossible_value', '/socPct: too high', 'VH-0001', 'VH-0001:b00t1:9');
    expect(message).toEqual({
      topic: 'fleetwire.dlq',
      key: 'VH-0001',
      value: raw,
      headers: {
        'fw-kind': 'dead_letter',
        'fw-reason': 'impossible_value',
        'fw-detail': '/socPct: too high',
        'fw-source': 'VH-0001',
        'fw-id': 'VH-0001:b00t1:9',
      },
    });
  });

  it('uses `unknown` without a source and cuts a long detail', () => {
    const message = toDeadLetter(Buffer.from([0xff]), 'record_corrupt', 'x'.repeat(5000));
    expect(message.key).toBe('unknown');
    expect(message.headers['fw-source']).toBe('unknown');
    expect(message.headers['fw-detail']).toHaveLength(DEAD_LETTER_DETAIL_MAX);
    expect('fw-id' in message.headers).toBe(false);
    expect([...message.value]).toEqual([0xff]);
  });
});
