import type { VehicleTelemetry } from '../../src/telemetry/vehicle.js';
import type { ChargerTelemetry } from '../../src/telemetry/charger.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { ChargerTelemetryRecord, EventRecord, VehicleTelemetryRecord } from '../../src/records.js';

/**
 * Valid samples for tests across packages. Each call returns a fresh copy, so a test may
 * mutate its sample without disturbing another.
 */
export const FIXTURE_TIME = Date.UTC(2025, 5, 1, 8, 30, 0);
export const FIXTURE_VEHICLE_ID = 'VH-0001';
export const FIXTURE_CHARGER_ID = 'CH-0001';
export const FIXTURE_NODE_ID = 'node-1';

export function vehicleTelemetryFixture(overrides: Partial<VehicleTelemetry> = {}): VehicleTelemetry {
  return {
    v: 1,
    ts: FIXTURE_TIME,
    epoch: 'b00t1',
    seq: 42,
    deviceId: FIXTURE_VEHICLE_ID,
    position: { lat: 52.52, lon: 13.405 },
    speedKph: 38.5,
    headingDeg: 270,
    odometerKm: 12_345.6,
    socPct: 76.5,
    battery: { tempC: 24.5, voltageV: 398.2, currentA: -42.1 },
    aux12vV: 12.6,
    tyresKpa: { fl: 240, fr: 241, rl: 238, rr: 239 },
    locked: false,
    ignition: true,
    dtcs: [],
    ...overrides,
  };
}

export function chargerTelemetryFixture(overrides: Partial<ChargerTelemetry> = {}): ChargerTelemetry {
  return {
    v: 1,
    ts: FIXTURE_TIME,
    epoch: 'c4arg3',
    seq: 7,
    deviceId: FIXTURE_CHARGER_ID,
    siteId: 'site-berlin-1',
    connectorId: 1,
    status: 'Charging',
    powerKw: 49.8,
    energyWh: 1_204_500,
    voltageV: 402,
    currentA: 124,
    tempC: 31,
    sessionId: 'sess-0042',
    errorCode: 'NoError',
    ...overrides,
  };
}

export function tripEndedEventFixture(): EventEnvelope<'TripEnded'> {
  return {
    eventId: `${FIXTURE_VEHICLE_ID}:b00t1:43`,
    type: 'TripEnded',
    schemaVersion: 1,
    occurredAt: new Date(FIXTURE_TIME).toISOString(),
    source: `vehicle:${FIXTURE_VEHICLE_ID}`,
    subject: { kind: 'trip', id: 'trip-0099' },
    correlationId: 'booking-0007',
    data: {
      tripId: 'trip-0099',
      bookingId: 'booking-0007',
      vehicleId: FIXTURE_VEHICLE_ID,
      distanceKm: 12.4,
      durationS: 1860,
      energyUsedKwh: 2.1,
      endPosition: { lat: 52.5, lon: 13.4 },
      odometerKm: 12_358,
      socPct: 72,
    },
  };
}

export function vehicleRecordFixture(): VehicleTelemetryRecord {
  return {
    id: `${FIXTURE_VEHICLE_ID}:b00t1:42`,
    kind: 'vehicle_telemetry',
    source: { kind: 'vehicle', id: FIXTURE_VEHICLE_ID },
    priority: 'telemetry',
    deviceTime: FIXTURE_TIME,
    receivedAt: FIXTURE_TIME + 120,
    payload: vehicleTelemetryFixture(),
  };
}

export function chargerRecordFixture(): ChargerTelemetryRecord {
  return {
    id: `${FIXTURE_CHARGER_ID}:c4arg3:7`,
    kind: 'charger_telemetry',
    source: { kind: 'charger', id: FIXTURE_CHARGER_ID },
    priority: 'telemetry',
    deviceTime: FIXTURE_TIME,
    receivedAt: FIXTURE_TIME + 80,
    payload: chargerTelemetryFixture(),
  };
}

export function eventRecordFixture(): EventRecord {
  const event = tripEndedEventFixture();
  return {
    id: event.eventId,
    kind: 'event',
    source: { kind: 'vehicle', id: FIXTURE_VEHICLE_ID },
    priority: 'critical',
    deviceTime: FIXTURE_TIME,
    receivedAt: FIXTURE_TIME + 150,
    payload: event,
  };
}

/** A payload as a device would publish it. */
export function toPayloadBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
export { eventDataFixture } from './event-fixtures.js';
