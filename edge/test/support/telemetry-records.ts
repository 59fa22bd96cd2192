/**
 * Valid FleetRecords for the buffer and uplink tests and benches (the cloud side decodes them
 * with the protocol validators, so they must pass those).
 */
import { type FleetRecord } from '@fleetwire/protocol';
import { vehicleTelemetryFixture } from '@fleetwire/protocol/testing';

export interface TestRecordOptions {
  deviceId?: string;
  epoch?: string;
  receivedAt?: number;
}

const BASE_TIME = Date.UTC(2026, 0, 1);

export function telemetryRecord(seq: number, options: TestRecordOptions = {}): FleetRecord {
  const deviceId = options.deviceId ?? 'VH-0001';
  const epoch = options.epoch ?? 'b1';
  const ts = BASE_TIME + seq * 1000;
  return {
    id: `${deviceId}:${epoch}:${seq}`,
    kind: 'vehicle_telemetry',
    source: { kind: 'vehicle', id: deviceId },
    priority: 'telemetry',
    deviceTime: ts,
    receivedAt: options.receivedAt ?? Date.now(),
    payload: vehicleTelemetryFixture({ ts, epoch, seq, deviceId, odometerKm: 1000 + seq / 100 }),
  };
}

/** `count` consecutive readings of one vehicle, seqs `from`, `from + 1`, … */
export function telemetryRecords(count: number, from = 0, options: TestRecordOptions = {}): FleetRecord[] {
  return Array.from({ length: count }, (_, i) => telemetryRecord(from + i, options));
}

/** A critical TripEnded or an alert BatteryLow, from vehicle `deviceId`. */
export function eventRecord(seq: number, priority: 'critical' | 'alert', options: TestRecordOptions = {}): FleetRecord {
  const deviceId = options.deviceId ?? 'VH-0001';
  const epoch = options.epoch ?? 'e1';
  const id = `${deviceId}:${epoch}:${seq}`;
  const ts = BASE_TIME + seq * 1000;
  const common = {
    eventId: id,
    schemaVersion: 1,
    occurredAt: new Date(ts).toISOString(),
    source: `vehicle:${deviceId}`,
    subject: { kind: 'vehicle' as const, id: deviceId },
  };
  const payload =
    priority === 'critical'
      ? {
          ...common,
          type: 'TripEnded' as const,
          data: {
            tripId: `T-${seq}`,
            bookingId: `B-${seq}`,
            vehicleId: deviceId,
            distanceKm: 12.5,
            durationS: 1800,
            energyUsedKwh: 2.1,
            endPosition: { lat: 52.5, lon: 13.4 },
            odometerKm: 1234,
            socPct: 60,
          },
        }
      : { ...common, type: 'BatteryLow' as const, data: { vehicleId: deviceId, socPct: 9, thresholdPct: 10 } };
  return {
    id,
    kind: 'event',
    source: { kind: 'vehicle', id: deviceId },
    priority,
    deviceTime: ts,
    receivedAt: options.receivedAt ?? Date.now(),
    payload,
  } as FleetRecord;
}
