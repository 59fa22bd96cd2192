/**
 * Records and batches for ingest tests: valid records for any device and sequence number, and
 * hand-made bodies (raw NDJSON lines, broken gzip) that encodeBatch would refuse to build.
 */
import { gzipSync } from 'node:zlib';
import { deriveBatchId, encodeBatch, type ChargerTelemetryRecord, type EventRecord, type FleetRecord, type VehicleTelemetryRecord } from '@fleetwire/protocol';
import { chargerRecordFixture, eventRecordFixture, vehicleRecordFixture, FIXTURE_TIME } from '@fleetwire/protocol/testing';

export function vehicleRecord(deviceId: string, seq: number, time = FIXTURE_TIME + seq * 1000): VehicleTelemetryRecord {
  const base = vehicleRecordFixture();
  return {
    ...base,
    id: `${deviceId}:b00t1:${seq}`,
    source: { kind: 'vehicle', id: deviceId },
    deviceTime: time,
    receivedAt: time + 50,
    payload: { ...base.payload, deviceId, seq, ts: time, socPct: 50 + (seq % 50) },
  };
}

export function chargerRecord(deviceId: string, seq: number, time = FIXTURE_TIME + seq * 1000): ChargerTelemetryRecord {
  const base = chargerRecordFixture();
  return {
    ...base,
    id: `${deviceId}:c4arg3:${seq}`,
    source: { kind: 'charger', id: deviceId },
    deviceTime: time,
    receivedAt: time + 50,
    payload: { ...base.payload, deviceId, seq, ts: time },
  };
}

/** A TripEnded event from a vehicle (subject: the trip). */
export function tripEndedRecord(deviceId: string, seq: number): EventRecord {
  const base = eventRecordFixture();
  const id = `${deviceId}:b00t1:${seq}`;
  return {
    ...base,
    id,
    source: { kind: 'vehicle', id: deviceId },
    payload: { ...base.payload, eventId: id, source: `vehicle:${deviceId}`, subject: { kind: 'trip', id: `trip-${seq}` } },
  };
}

export interface RawBatch {
  batchId: string;
  body: Buffer;
  headers: Record<string, string>;
}

export function batchOf(nodeId: string, records: readonly FleetRecord[]): RawBatch {
  const { batchId, body, headers } = encodeBatch({ nodeId, createdAt: FIXTURE_TIME, records });
  return { batchId, body, headers };
}

/** A batch whose record lines are given as text, so a test can slip in broken or invalid ones. */
export function batchOfLines(nodeId: string, lines: readonly string[], batchId = deriveBatchId(nodeId, [String(lines.length)])): RawBatch {
  const header = JSON.stringify({ batchId, nodeId, createdAt: FIXTURE_TIME, count: lines.length });
  const body = gzipSync(`${[header, ...lines].join('\n')}\n`);
  return {
    batchId,
    body,
    headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', 'idempotency-key': batchId },
  };
}

/** Gzip members of zeros, concatenated: a valid gzip stream of `mebibytes` MiB in a few KiB per MiB. */
export function zipBomb(mebibytes: number): Buffer {
  const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
  return Buffer.concat(Array.from({ length: mebibytes }, () => member));
}
