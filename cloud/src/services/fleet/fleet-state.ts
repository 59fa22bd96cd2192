/**
 * The fleet state as plain data: what the fleet service knows about every vehicle and charger,
 * and the most recent events. Built only by `applyRecord` (apply-record.ts) from bus records;
 * judged at read time by fleet-views.ts (offline, low battery), so the state itself never
 * depends on the clock.
 *
 * Memory is bounded by the number of entities: each vehicle and charger is a fixed-size record
 * (a connector list of at most 16, at most MAX_MAINTENANCE_ALERTS maintenance alerts) and the
 * recent events are capped at `maxRecentEvents`. Nothing grows with the number of records.
 */
import type { ChargerErrorCode, ChargerStatus, EventEnvelope } from '@fleetwire/protocol';
import type { Stamp } from './newer-wins.js';
import { createRecentEvents, type RecentEvents } from './recent-events.js';

export interface GeoPoint {
  lat: number;
  lon: number;
}

/** When an entity was last heard of through a record it sent itself. */
export interface LastSeen {
  /** Trusted device time, ms. */
  deviceTime: number;
  /** Edge receive time, ms: what "offline" is judged by. */
  receivedAt: number;
}

/** What vehicle telemetry says about a vehicle; a sparse reading says part of it. */
export interface VehicleObservations {
  position: GeoPoint;
  speedKph: number;
  socPct: number;
  batteryTempC: number;
  odometerKm: number;
  locked: boolean;
  ignition: boolean;
  dtcs: string[];
}

/**
 * The vehicle's last known value of each observation. Each field keeps the stamp of the record
 * that set it, so sparse and on-change readings (one reports SoC, the next position) merge in
 * any order, and a late reading changes only the fields nothing newer has set.
 */
export type VehicleReading = Partial<VehicleObservations> & {
  /** The newest record that set any field. */
  stamp: Stamp;
  stamps: Partial<Record<keyof VehicleObservations, Stamp>>;
};

export interface CurrentTrip {
  tripId: string;
  bookingId: string;
  startedAt: number;
  startPosition: GeoPoint;
}

export interface EndedTrip {
  stamp: Stamp;
  tripId: string;
  endedAt: number;
  distanceKm: number;
  durationS: number;
  energyUsedKwh: number;
}

export interface VehicleCharging {
  chargerId: string;
  connectorId: number;
  sessionId: string;
  since: number;
}

/** Something that is open while `current` is set; `stamp` is the record that last opened or closed it. */
export interface Span<T> {
  stamp: Stamp | null;
  current: T | null;
}

export interface ReturnVerdict {
  stamp: Stamp;
  returnId: string;
  bookingId: string;
  verdict: 'accepted' | 'review' | 'rejected';
  damageScore: number;
  fraudScore: number;
  parkedInGeofence: boolean;
}

export interface FraudFinding {
  stamp: Stamp;
  returnId: string | null;
  score: number;
  reasons: string[];
}

/** The newest BatteryLow event; open until a newer reading shows the SoC above its threshold (fleet-views.ts). */
export interface BatteryLowAlert {
  stamp: Stamp;
  socPct: number;
  thresholdPct: number;
}

export interface MaintenanceAlert {
  stamp: Stamp;
  component: string;
  severity: 'low' | 'medium' | 'high';
  reason: string;
  confidence: number;
  predictedFailureWithinDays: number;
}

/** The protocol has no event that closes a maintenance alert; the newest per component is kept, this many at most. */
export const MAX_MAINTENANCE_ALERTS = 16;

export interface VehicleState {
  id: string;
  lastSeen: LastSeen | null;
  reading: VehicleReading | null;
  trip: Span<CurrentTrip>;
  lastTrip: EndedTrip | null;
  charging: Span<VehicleCharging>;
  lastReturn: ReturnVerdict | null;
  lastFraud: FraudFinding | null;
  batteryLow: BatteryLowAlert | null;
  maintenance: MaintenanceAlert[];
}

/** A value and the stamp of the record that set it. */
export interface Observed<T> {
  value: T;
  stamp: Stamp;
}

/** What records say about a connector; each record says some of it (telemetry most, events a part). */
export interface ConnectorObservations {
  status: ChargerStatus;
  powerKw: number;
  /** Meter register. */
  energyWh: number;
  sessionId: string | null;
  /** The session events name the vehicle; telemetry only the session. */
  sessionVehicle: { sessionId: string; vehicleId: string } | null;
  errorCode: ChargerErrorCode;
}

/**
 * Each field keeps its own stamp, so records that say different parts (a full reading, a
 * session event) merge to the same connector in any order.
 */
export type ConnectorState = { connectorId: number } & { [K in keyof ConnectorObservations]?: Observed<ConnectorObservations[K]> };

export interface ChargerState {
  id: string;
  siteId: Observed<string> | null;
  lastSeen: LastSeen | null;
  /** Sorted by connector id. */
  connectors: ConnectorState[];
}

export interface RecentEvent {
  id: string;
  type: EventEnvelope['type'];
  /** Trusted device time, ms. */
  occurredAt: number;
  receivedAt: number;
  source: string;
  subject: EventEnvelope['subject'];
  /** The vehicle or charger the event is about, when it names one. */
  vehicleId: string | null;
  chargerId: string | null;
  data: unknown;
}

export interface FleetState {
  vehicles: Map<string, VehicleState>;
  chargers: Map<string, ChargerState>;
  recentEvents: RecentEvents;
}

export function createFleetState(options: { maxRecentEvents: number }): FleetState {
  return { vehicles: new Map(), chargers: new Map(), recentEvents: createRecentEvents(options.maxRecentEvents) };
}

export function emptyVehicle(id: string): VehicleState {
  return {
    id, lastSeen: null, reading: null, trip: { stamp: null, current: null }, lastTrip: null,
    charging: { stamp: null, current: null }, lastReturn: null, lastFraud: null, batteryLow: null, maintenance: [],
  };
}

export function emptyCharger(id: string): ChargerState {
  return { id, siteId: null, lastSeen: null, connectors: [] };
}
