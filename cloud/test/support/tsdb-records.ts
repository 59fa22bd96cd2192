/** Telemetry records for the sink's tests and benchmark: one vehicle, numbered samples. */
import { toBusMessage, type FleetRecord } from '@fleetwire/protocol';
import { chargerRecordFixture, vehicleRecordFixture } from '@fleetwire/protocol/testing';
import type { BusMessage } from '../../src/bus/bus.js';

export function vehicleSample(vehicleId: string, seq: number, ts: number): FleetRecord {
  const record = vehicleRecordFixture();
  return {
    ...record,
    id: `${vehicleId}:e1:${seq}`,
    source: { kind: 'vehicle', id: vehicleId },
    deviceTime: ts,
    receivedAt: ts + 50,
    payload: { ...record.payload, deviceId: vehicleId, seq, ts, socPct: 50 + (seq % 50), speedKph: seq % 120 },
  };
}

export function chargerSample(chargerId: string, seq: number, ts: number): FleetRecord {
  const record = chargerRecordFixture();
  return {
    ...record,
    id: `${chargerId}:e1:${seq}`,
    source: { kind: 'charger', id: chargerId },
    deviceTime: ts,
    receivedAt: ts + 50,
    payload: { ...record.payload, deviceId: chargerId, seq, ts, powerKw: 10 + seq },
  };
}

/** The record as the ingest puts it on the bus, on `topic` instead of the production topic. */
export function onTopic(topic: string, record: FleetRecord): BusMessage {
  return { ...toBusMessage(record), topic };
}
