/**
 * The fleet state of several partitions as one: the fleet service keeps a state per partition
 * (a vehicle's telemetry and the events naming it may sit in different partitions, of different
 * topics), and the API shows their merge. Every field is decided as a single state would decide
 * it — the newest stamp wins, `lastSeen` is the latest of each time — so the merge is the same
 * whatever the order of the states, and the same as one state folding every record.
 */
import type { ChargerState, ConnectorState, FleetState, LastSeen, Observed, VehicleReading, VehicleState } from './fleet-state.js';
import { createFleetState } from './fleet-state.js';
import { withMaintenance } from './vehicle-reducer.js';
import { isNewer, type Stamp } from './newer-wins.js';

export function mergeFleetStates(states: readonly FleetState[], maxRecentEvents: number): FleetState {
  if (states.length === 1) return states[0] as FleetState;
  const merged = createFleetState({ maxRecentEvents });
  for (const state of states) {
    for (const [id, vehicle] of state.vehicles) {
      const held = merged.vehicles.get(id);
      merged.vehicles.set(id, held === undefined ? vehicle : mergeVehicle(held, vehicle));
    }
    for (const [id, charger] of state.chargers) {
      const held = merged.chargers.get(id);
      merged.chargers.set(id, held === undefined ? charger : mergeCharger(held, charger));
    }
    for (const event of state.recentEvents.newest(maxRecentEvents)) merged.recentEvents.add(event);
  }
  return merged;
}

const newer = <T extends { stamp: Stamp }>(a: T | null, b: T | null): T | null => (a === null ? b : b === null ? a : isNewer(a.stamp, b.stamp) ? b : a);

/** Spans whose stamp is null were never opened or closed: the other side wins. */
const newerSpan = <T extends { stamp: Stamp | null }>(a: T, b: T): T => (b.stamp === null ? a : a.stamp === null || isNewer(a.stamp, b.stamp) ? b : a);

function latestSeen(a: LastSeen | null, b: LastSeen | null): LastSeen | null {
  if (a === null || b === null) return a ?? b;
  return { deviceTime: Math.max(a.deviceTime, b.deviceTime), receivedAt: Math.max(a.receivedAt, b.receivedAt) };
}

function mergeReading(a: VehicleReading | null, b: VehicleReading | null): VehicleReading | null {
  if (a === null || b === null) return a ?? b;
  const merged: VehicleReading = { stamp: isNewer(a.stamp, b.stamp) ? b.stamp : a.stamp, stamps: { ...a.stamps } };
  const fields = merged as Record<string, unknown>;
  for (const field of Object.keys(a.stamps)) fields[field] = (a as Record<string, unknown>)[field];
  for (const [field, stamp] of Object.entries(b.stamps) as Array<[keyof VehicleReading['stamps'], Stamp]>) {
    if (!isNewer(merged.stamps[field], stamp)) continue;
    merged.stamps[field] = stamp;
    fields[field] = (b as Record<string, unknown>)[field];
  }
  return merged;
}

function mergeVehicle(a: VehicleState, b: VehicleState): VehicleState {
  return {
    id: a.id,
    lastSeen: latestSeen(a.lastSeen, b.lastSeen),
    reading: mergeReading(a.reading, b.reading),
    trip: newerSpan(a.trip, b.trip),
    lastTrip: newer(a.lastTrip, b.lastTrip),
    charging: newerSpan(a.charging, b.charging),
    lastReturn: newer(a.lastReturn, b.lastReturn),
    lastFraud: newer(a.lastFraud, b.lastFraud),
    batteryLow: newer(a.batteryLow, b.batteryLow),
    maintenance: b.maintenance.reduce(withMaintenance, a.maintenance),
  };
}

function mergeConnector(a: ConnectorState, b: ConnectorState): ConnectorState {
  const merged: Record<string, unknown> = { ...a };
  for (const [field, observed] of Object.entries(b)) {
    if (field === 'connectorId') continue;
    merged[field] = newer((a as unknown as Record<string, Observed<unknown> | undefined>)[field] ?? null, observed as Observed<unknown>);
  }
  return merged as ConnectorState;
}

function mergeCharger(a: ChargerState, b: ChargerState): ChargerState {
  const connectors = new Map(a.connectors.map((c) => [c.connectorId, c]));
  for (const connector of b.connectors) {
    const held = connectors.get(connector.connectorId);
    connectors.set(connector.connectorId, held === undefined ? connector : mergeConnector(held, connector));
  }
  return {
    id: a.id,
    siteId: newer(a.siteId, b.siteId),
    lastSeen: latestSeen(a.lastSeen, b.lastSeen),
    connectors: [...connectors.values()].sort((x, y) => x.connectorId - y.connectorId),
  };
}
