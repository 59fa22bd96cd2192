/**
 * What the API shows, as pure functions of the state and the time of the request: a vehicle's
 * status (offline is judged here, at read time, so the state never depends on the clock), its
 * open alerts, the charger list and the fleet summary.
 */
import { CHARGER_STATUSES, type ChargerStatus, DAY_MS } from '@fleetwire/protocol';
import type { BatteryLowAlert, ChargerState, ConnectorState, FleetState, LastSeen, VehicleState } from './fleet-state.js';
import { isNewer } from './newer-wins.js';
import type { ChargerView, FleetSummary, MaintenanceItem, RecentEventView, VehicleStatus, VehicleView } from './schemas.js';
import type { FleetJudgement } from './settings.js';

export function isOffline(lastSeen: LastSeen | null, now: number, judgement: FleetJudgement): boolean {
  return lastSeen === null || now - lastSeen.receivedAt > judgement.offlineAfterMs;
}

/** Offline first (what is known may be stale), then an open charging session, an open trip or movement. */
export function vehicleStatus(vehicle: VehicleState, now: number, judgement: FleetJudgement): VehicleStatus {
  if (isOffline(vehicle.lastSeen, now, judgement)) return 'offline';
  if (vehicle.charging.current !== null) return 'charging';
  if (vehicle.trip.current !== null || (vehicle.reading?.speedKph ?? 0) > 0) return 'driving';
  return 'parked';
}

/** The newest BatteryLow, unless a newer reading shows the SoC above its threshold again. */
export function openBatteryLow(vehicle: VehicleState): BatteryLowAlert | null {
  const { batteryLow, reading } = vehicle;
  if (batteryLow === null) return null;
  const socStamp = reading?.stamps.socPct;
  if (socStamp !== undefined && isNewer(batteryLow.stamp, socStamp) && reading!.socPct! > batteryLow.thresholdPct) return null;
  return batteryLow;
}

export function isLowBattery(vehicle: VehicleState, judgement: FleetJudgement): boolean {
  return openBatteryLow(vehicle) !== null || (vehicle.reading?.socPct !== undefined && vehicle.reading.socPct < judgement.lowBatteryPct);
}

export function vehicleView(vehicle: VehicleState, now: number, judgement: FleetJudgement): VehicleView {
  const { reading, lastTrip, lastReturn, lastFraud } = vehicle;
  return {
    id: vehicle.id,
    status: vehicleStatus(vehicle, now, judgement),
    position: reading?.position ?? null,
    speedKph: reading?.speedKph ?? null,
    socPct: reading?.socPct ?? null,
    batteryTempC: reading?.batteryTempC ?? null,
    odometerKm: reading?.odometerKm ?? null,
    locked: reading?.locked ?? null,
    ignition: reading?.ignition ?? null,
    dtcs: reading?.dtcs ?? [],
    lowBattery: isLowBattery(vehicle, judgement),
    lastSeen: vehicle.lastSeen,
    trip: vehicle.trip.current,
    lastTrip: lastTrip === null ? null : { tripId: lastTrip.tripId, endedAt: lastTrip.endedAt, distanceKm: lastTrip.distanceKm, durationS: lastTrip.durationS, energyUsedKwh: lastTrip.energyUsedKwh },
    charging: vehicle.charging.current,
    lastReturn: lastReturn === null ? null : {
      at: lastReturn.stamp.at, returnId: lastReturn.returnId, bookingId: lastReturn.bookingId, verdict: lastReturn.verdict,
      damageScore: lastReturn.damageScore, fraudScore: lastReturn.fraudScore, parkedInGeofence: lastReturn.parkedInGeofence,
    },
    lastFraud: lastFraud === null ? null : { at: lastFraud.stamp.at, returnId: lastFraud.returnId, score: lastFraud.score, reasons: lastFraud.reasons },
    alerts: openAlerts(vehicle, now),
  };
}

/** Days a MaintenanceRequired stays open past the failure it predicted. */
export const MAINTENANCE_GRACE_DAYS = 7;

/**
 * No event closes a MaintenanceRequired (the protocol has none; the maintenance service only
 * stops raising it), so an alert stands until the failure it predicted plus a grace period:
 * long enough to be seen and acted on, not for ever after the work was done.
 */
function openMaintenance(vehicle: VehicleState, now: number): VehicleState['maintenance'] {
  return vehicle.maintenance.filter((m) => now < m.stamp.at + (m.predictedFailureWithinDays + MAINTENANCE_GRACE_DAYS) * DAY_MS);
}

/** The open findings of every vehicle, soonest predicted failure first (ties by vehicle, component). */
export function maintenanceList(state: FleetState, now: number): MaintenanceItem[] {
  const items: MaintenanceItem[] = [];
  for (const vehicle of state.vehicles.values()) {
    for (const m of openMaintenance(vehicle, now)) {
      items.push({
        vehicleId: vehicle.id, component: m.component, reason: m.reason, severity: m.severity, confidence: m.confidence,
        raisedAt: m.stamp.at, dueAt: m.stamp.at + m.predictedFailureWithinDays * DAY_MS,
      });
    }
  }
  return items.sort((a, b) => a.dueAt - b.dueAt || a.vehicleId.localeCompare(b.vehicleId) || a.component.localeCompare(b.component));
}

function openAlerts(vehicle: VehicleState, now: number): VehicleView['alerts'] {
  const alerts: VehicleView['alerts'] = openMaintenance(vehicle, now).map((m) => ({
    type: 'MaintenanceRequired' as const,
    at: m.stamp.at,
    detail: `${m.component} (${m.severity}): ${m.reason}; failure expected within ${m.predictedFailureWithinDays} days`,
  }));
  const low = openBatteryLow(vehicle);
  if (low !== null) alerts.push({ type: 'BatteryLow', at: low.stamp.at, detail: `SoC ${low.socPct}% below ${low.thresholdPct}%` });
  return alerts.sort((a, b) => b.at - a.at);
}

export function chargerView(charger: ChargerState, now: number, judgement: FleetJudgement): ChargerView {
  return {
    id: charger.id,
    siteId: charger.siteId?.value ?? null,
    offline: isOffline(charger.lastSeen, now, judgement),
    lastSeen: charger.lastSeen,
    connectors: charger.connectors.map(connectorView),
  };
}

function connectorView(connector: ConnectorState): ChargerView['connectors'][number] {
  const { connectorId, status, powerKw, energyWh, sessionId, sessionVehicle, errorCode } = connector;
  const stamps = [status, powerKw, energyWh, sessionId, sessionVehicle, errorCode].map((field) => field?.stamp.at ?? 0);
  const session = sessionVehicle?.value ?? null;
  return {
    connectorId,
    // Every record that makes a connector known says its status; the fallback is for the type only.
    status: status?.value ?? 'Unavailable',
    powerKw: powerKw?.value ?? null,
    energyWh: energyWh?.value ?? null,
    sessionId: sessionId?.value ?? null,
    vehicleId: session !== null && session.sessionId === sessionId?.value ? session.vehicleId : null,
    errorCode: errorCode?.value ?? null,
    updatedAt: Math.max(...stamps),
  };
}

export function fleetSummary(state: FleetState, now: number, judgement: FleetJudgement): FleetSummary {
  const vehicles = { total: 0, driving: 0, parked: 0, charging: 0, offline: 0, lowBattery: 0 };
  const alerts = { batteryLow: 0, maintenance: 0, total: 0 };
  for (const vehicle of state.vehicles.values()) {
    vehicles.total += 1;
    vehicles[vehicleStatus(vehicle, now, judgement)] += 1;
    if (isLowBattery(vehicle, judgement)) vehicles.lowBattery += 1;
    if (openBatteryLow(vehicle) !== null) alerts.batteryLow += 1;
    alerts.maintenance += openMaintenance(vehicle, now).length;
  }
  alerts.total = alerts.batteryLow + alerts.maintenance;

  const connectors = Object.fromEntries(CHARGER_STATUSES.map((s) => [s, 0])) as Record<ChargerStatus, number>;
  const chargers = { total: 0, offline: 0, connectors };
  for (const charger of state.chargers.values()) {
    chargers.total += 1;
    // An offline charger's connector states are stale: it is counted as offline, not by them.
    if (isOffline(charger.lastSeen, now, judgement)) chargers.offline += 1;
    else for (const connector of charger.connectors) connectors[connectorView(connector).status] += 1;
  }
  return { vehicles, chargers, alerts };
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The read side of the fleet service, as the API uses it. */
export interface FleetReader {
  summary(now: number): FleetSummary;
  vehicles(now: number): VehicleView[];
  vehicle(id: string, now: number): VehicleView | undefined;
  chargers(now: number): ChargerView[];
  recentEvents(limit: number): RecentEventView[];
  maintenance(now: number): MaintenanceItem[];
  readonly maxRecentEvents: number;
}

/** `source`: the state, or how to get it at each read (the fleet service merges its partitions' states). */
export function createFleetReader(source: FleetState | (() => FleetState), judgement: FleetJudgement & { maxRecentEvents: number }): FleetReader {
  const state = typeof source === 'function' ? source : () => source;
  return {
    summary: (now) => fleetSummary(state(), now, judgement),
    vehicles: (now) => [...state().vehicles.values()].sort(byId).map((v) => vehicleView(v, now, judgement)),
    vehicle(id, now) {
      const vehicle = state().vehicles.get(id);
      return vehicle === undefined ? undefined : vehicleView(vehicle, now, judgement);
    },
    chargers: (now) => [...state().chargers.values()].sort(byId).map((c) => chargerView(c, now, judgement)),
    recentEvents: (limit) => state().recentEvents.newest(limit),
    maintenance: (now) => maintenanceList(state(), now),
    maxRecentEvents: judgement.maxRecentEvents,
  };
}
