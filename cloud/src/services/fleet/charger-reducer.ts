/**
 * How one record changes one charger: pure functions, per connector (OCPP reports status per
 * connector). Every connector field keeps the stamp of the record that set it and only a newer
 * record replaces it (newer-wins.ts): telemetry says the fields it carries (a sparse reading
 * only some), session and fault events the
 * ones they are about (OCPP 1.6: a started session is Charging, a stopped one Finishing until
 * the cable is out). A re-delivered or older record returns the charger unchanged.
 */
import type { ChargerTelemetryRecord, EventRecord } from '@fleetwire/protocol';
import { isNewer, newerOf, seenAt, stampOf, type Stamp } from './newer-wins.js';
import type { ChargerState, ConnectorObservations, ConnectorState } from './fleet-state.js';

type Observations = Partial<ConnectorObservations>;

export function applyChargerTelemetry(charger: ChargerState, record: ChargerTelemetryRecord): ChargerState {
  const stamp = stampOf(record);
  const p = record.payload;
  const lastSeen = seenAt(charger.lastSeen, stamp, record.receivedAt);
  const siteId = p.siteId === undefined ? charger.siteId : newerOf(charger.siteId, { value: p.siteId, stamp });
  const seen: Observations = {};
  if (p.status !== undefined) seen.status = p.status;
  if (p.powerKw !== undefined) seen.powerKw = p.powerKw;
  if (p.energyWh !== undefined) seen.energyWh = p.energyWh;
  if (p.sessionId !== undefined) seen.sessionId = p.sessionId;
  if (p.errorCode !== undefined) seen.errorCode = p.errorCode;
  // A reading without a connector is about the charge point as a whole (OCPP connector 0).
  const connectors = observeConnector(charger.connectors, p.connectorId ?? 0, stamp, seen);
  if (lastSeen === charger.lastSeen && siteId === charger.siteId && connectors === charger.connectors) return charger;
  return { ...charger, lastSeen, siteId, connectors };
}

/** An event about this charger; `fromCharger` when the charger itself sent it (it then counts as seen). */
export function applyChargerEvent(charger: ChargerState, record: EventRecord, fromCharger: boolean): ChargerState {
  const stamp = stampOf(record);
  const lastSeen = fromCharger ? seenAt(charger.lastSeen, stamp, record.receivedAt) : charger.lastSeen;
  const connectors = connectorsAfter(charger.connectors, record, stamp);
  if (lastSeen === charger.lastSeen && connectors === charger.connectors) return charger;
  return { ...charger, lastSeen, connectors };
}

function connectorsAfter(connectors: ConnectorState[], record: EventRecord, stamp: Stamp): ConnectorState[] {
  const event = record.payload;
  switch (event.type) {
    case 'ChargingSessionStarted': {
      const { connectorId, sessionId, vehicleId } = event.data;
      return observeConnector(connectors, connectorId, stamp, {
        status: 'Charging', sessionId, sessionVehicle: vehicleId === undefined ? null : { sessionId, vehicleId },
      });
    }
    case 'ChargingSessionStopped': {
      const { connectorId, meterStopWh } = event.data;
      return observeConnector(connectors, connectorId, stamp, {
        status: 'Finishing', powerKw: 0, energyWh: meterStopWh, sessionId: null, sessionVehicle: null,
      });
    }
    case 'ChargerFaulted': {
      const { connectorId, errorCode } = event.data;
      const faulted: Observations = { status: 'Faulted', powerKw: 0, errorCode, sessionId: null, sessionVehicle: null };
      if (connectorId !== 0) return observeConnector(connectors, connectorId, stamp, faulted);
      // Connector 0 is the whole charge point: every connector known by then is faulted
      // (telemetry never reports connector 0, so it gets no row of its own).
      return connectors.reduce((next, { connectorId: id }) => observeConnector(next, id, stamp, faulted), connectors);
    }
    default:
      return connectors;
  }
}

/** The list with one connector's fields replaced where `stamp` is newer than theirs; the same list when none is. */
function observeConnector(connectors: ConnectorState[], connectorId: number, stamp: Stamp, seen: Observations): ConnectorState[] {
  const known = connectors.find((c) => c.connectorId === connectorId) ?? { connectorId };
  const next: ConnectorState = { ...known };
  let changed = false;
  for (const key of Object.keys(seen) as Array<keyof Observations>) {
    if (!isNewer(known[key]?.stamp, stamp)) continue;
    (next as Record<string, unknown>)[key] = { value: seen[key], stamp };
    changed = true;
  }
  if (!changed) return connectors;
  return [...connectors.filter((c) => c.connectorId !== connectorId), next].sort((a, b) => a.connectorId - b.connectorId);
}
