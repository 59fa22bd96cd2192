/**
 * How one record changes one vehicle: pure functions that return the vehicle unchanged (the
 * same object) when the record is a re-delivery or older than what the vehicle already shows
 * (newer-wins.ts), or a new object otherwise. Each aspect keeps only its newest record (each
 * field of the reading, the latest trip or charging event, the newest verdict, alert, …), which
 * makes the result independent of the order records arrive in.
 */
import type { EventEnvelope, EventRecord, VehicleTelemetry, VehicleTelemetryRecord } from '@fleetwire/protocol';
import { isNewer, newerOf, seenAt, stampOf, type Stamp } from './newer-wins.js';
import { MAX_MAINTENANCE_ALERTS, type MaintenanceAlert, type Span, type VehicleObservations, type VehicleReading, type VehicleState } from './fleet-state.js';

export function applyVehicleTelemetry(vehicle: VehicleState, record: VehicleTelemetryRecord): VehicleState {
  const stamp = stampOf(record);
  const lastSeen = seenAt(vehicle.lastSeen, stamp, record.receivedAt);
  const reading = observeVehicle(vehicle.reading, stamp, observationsOf(record.payload));
  if (reading === vehicle.reading) return lastSeen === vehicle.lastSeen ? vehicle : { ...vehicle, lastSeen };
  return { ...vehicle, lastSeen, reading };
}

/** The observations a (possibly sparse) reading carries; absent measurements are absent here too. */
function observationsOf(p: VehicleTelemetry): Partial<VehicleObservations> {
  const seen: Partial<VehicleObservations> = {};
  if (p.position !== undefined) seen.position = { lat: p.position.lat, lon: p.position.lon };
  if (p.speedKph !== undefined) seen.speedKph = p.speedKph;
  if (p.socPct !== undefined) seen.socPct = p.socPct;
  if (p.battery?.tempC !== undefined) seen.batteryTempC = p.battery.tempC;
  if (p.odometerKm !== undefined) seen.odometerKm = p.odometerKm;
  if (p.locked !== undefined) seen.locked = p.locked;
  if (p.ignition !== undefined) seen.ignition = p.ignition;
  if (p.dtcs !== undefined) seen.dtcs = [...p.dtcs];
  return seen;
}

/** The reading with each field replaced where `stamp` is newer than the field's own; the same reading when none is. */
function observeVehicle(reading: VehicleReading | null, stamp: Stamp, seen: Partial<VehicleObservations>): VehicleReading | null {
  let next: VehicleReading | null = null;
  for (const key of Object.keys(seen) as Array<keyof VehicleObservations>) {
    if (!isNewer(reading?.stamps[key], stamp)) continue;
    next ??= { ...reading, stamp: reading === null || isNewer(reading.stamp, stamp) ? stamp : reading.stamp, stamps: { ...reading?.stamps } };
    (next as Record<string, unknown>)[key] = seen[key];
    next.stamps[key] = stamp;
  }
  return next ?? reading;
}

/** An event about this vehicle; `fromVehicle` when the vehicle itself sent it (it then counts as seen). */
export function applyVehicleEvent(vehicle: VehicleState, record: EventRecord, fromVehicle: boolean): VehicleState {
  const stamp = stampOf(record);
  const seen = fromVehicle ? seenAt(vehicle.lastSeen, stamp, record.receivedAt) : vehicle.lastSeen;
  const next = eventEffect(vehicle, record.payload, stamp);
  return seen === vehicle.lastSeen ? next : { ...next, lastSeen: seen };
}

function eventEffect(vehicle: VehicleState, event: EventEnvelope, stamp: Stamp): VehicleState {
  switch (event.type) {
    case 'TripStarted': {
      const { tripId, bookingId, startPosition } = event.data;
      // A trip that already ended (its TripEnded came first) stamped a later time: not reopened.
      const trip = open(vehicle.trip, stamp, { tripId, bookingId, startedAt: stamp.at, startPosition: { ...startPosition } });
      return trip === vehicle.trip ? vehicle : { ...vehicle, trip };
    }
    case 'TripEnded': {
      const { tripId, distanceKm, durationS, energyUsedKwh } = event.data;
      // Trips of one vehicle do not overlap: an end closes whatever trip started before it.
      const trip = close(vehicle.trip, stamp);
      const lastTrip = newerOf(vehicle.lastTrip, { stamp, tripId, endedAt: stamp.at, distanceKm, durationS, energyUsedKwh });
      return trip === vehicle.trip && lastTrip === vehicle.lastTrip ? vehicle : { ...vehicle, trip, lastTrip };
    }
    case 'ChargingSessionStarted': {
      const { chargerId, connectorId, sessionId } = event.data;
      const charging = open(vehicle.charging, stamp, { chargerId, connectorId, sessionId, since: stamp.at });
      return charging === vehicle.charging ? vehicle : { ...vehicle, charging };
    }
    case 'ChargingSessionStopped': {
      const charging = close(vehicle.charging, stamp);
      return charging === vehicle.charging ? vehicle : { ...vehicle, charging };
    }
    case 'ReturnVerified': {
      const { returnId, bookingId, verdict, damage, fraud, parkedInGeofence } = event.data;
      const lastReturn = newerOf(vehicle.lastReturn, {
        stamp, returnId, bookingId, verdict, damageScore: damage.score, fraudScore: fraud.score, parkedInGeofence,
      });
      return lastReturn === vehicle.lastReturn ? vehicle : { ...vehicle, lastReturn };
    }
    case 'FraudDetected': {
      const { returnId, score, reasons } = event.data;
      const lastFraud = newerOf(vehicle.lastFraud, { stamp, returnId: returnId ?? null, score, reasons: [...reasons] });
      return lastFraud === vehicle.lastFraud ? vehicle : { ...vehicle, lastFraud };
    }
    case 'BatteryLow': {
      const { socPct, thresholdPct } = event.data;
      const batteryLow = newerOf(vehicle.batteryLow, { stamp, socPct, thresholdPct });
      return batteryLow === vehicle.batteryLow ? vehicle : { ...vehicle, batteryLow };
    }
    case 'MaintenanceRequired': {
      const maintenance = withMaintenance(vehicle.maintenance, {
        stamp, component: event.data.component, severity: event.data.severity, reason: event.data.reason, confidence: event.data.confidence,
        predictedFailureWithinDays: event.data.predictedFailureWithinDays,
      });
      return maintenance === vehicle.maintenance ? vehicle : { ...vehicle, maintenance };
    }
    default:
      return vehicle;
  }
}

function open<T>(span: Span<T>, stamp: Stamp, current: T): Span<T> {
  return isNewer(span.stamp, stamp) ? { stamp, current } : span;
}

function close<T>(span: Span<T>, stamp: Stamp): Span<T> {
  return isNewer(span.stamp, stamp) ? { stamp, current: null } : span;
}

/** The newest alert per component; past the cap the oldest alert goes. */
export function withMaintenance(alerts: MaintenanceAlert[], alert: MaintenanceAlert): MaintenanceAlert[] {
  const existing = alerts.find((a) => a.component === alert.component);
  if (existing !== undefined && !isNewer(existing.stamp, alert.stamp)) return alerts;
  const others = alerts.filter((a) => a.component !== alert.component);
  const next = [...others, alert].sort((a, b) => (isNewer(a.stamp, b.stamp) ? -1 : 1));
  return next.slice(next.length - MAX_MAINTENANCE_ALERTS);
}
