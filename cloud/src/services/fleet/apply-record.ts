/**
 * The fleet state's reducer: `applyRecord(state, record)` folds one validated bus record into
 * the state. Every decision is in the pure entity reducers (vehicle-reducer.ts,
 * charger-reducer.ts) and recent-events.ts; this file only routes a record to the entities it
 * is about. The entity maps are updated in place (and the state returned), so a record costs
 * the same whether the fleet has ten vehicles or ten thousand.
 *
 * Applying the same record twice, or records in any order, gives the same state (newer-wins.ts).
 */
import { trustedTime, type EventEnvelope, type EventRecord, type FleetRecord } from '@fleetwire/protocol';
import { applyChargerEvent, applyChargerTelemetry } from './charger-reducer.js';
import { emptyCharger, emptyVehicle, type FleetState, type RecentEvent } from './fleet-state.js';
import { applyVehicleEvent, applyVehicleTelemetry } from './vehicle-reducer.js';

export function applyRecord(state: FleetState, record: FleetRecord): FleetState {
  switch (record.kind) {
    case 'vehicle_telemetry': {
      const id = record.source.id;
      state.vehicles.set(id, applyVehicleTelemetry(state.vehicles.get(id) ?? emptyVehicle(id), record));
      return state;
    }
    case 'charger_telemetry': {
      const id = record.source.id;
      state.chargers.set(id, applyChargerTelemetry(state.chargers.get(id) ?? emptyCharger(id), record));
      return state;
    }
    case 'event':
      return applyEvent(state, record);
  }
}

function applyEvent(state: FleetState, record: EventRecord): FleetState {
  const event = record.payload;
  const vehicleId = entityOf(event, 'vehicle');
  const chargerId = entityOf(event, 'charger');
  const sentBy = (kind: 'vehicle' | 'charger', id: string) => record.source.kind === kind && record.source.id === id;
  if (vehicleId !== null) {
    const vehicle = state.vehicles.get(vehicleId) ?? emptyVehicle(vehicleId);
    state.vehicles.set(vehicleId, applyVehicleEvent(vehicle, record, sentBy('vehicle', vehicleId)));
  }
  if (chargerId !== null) {
    const charger = state.chargers.get(chargerId) ?? emptyCharger(chargerId);
    state.chargers.set(chargerId, applyChargerEvent(charger, record, sentBy('charger', chargerId)));
  }
  state.recentEvents.add(recentEventOf(record, vehicleId, chargerId));
  return state;
}

/**
 * The vehicle or charger an event is about: named in its data (`vehicleId`, `chargerId`; a
 * charging session names both), or its subject. Trip events have the trip as subject, so the
 * data comes first.
 */
export function entityOf(event: EventEnvelope, kind: 'vehicle' | 'charger'): string | null {
  const field = kind === 'vehicle' ? 'vehicleId' : 'chargerId';
  const named: unknown = (event.data as Record<string, unknown>)[field];
  if (typeof named === 'string') return named;
  return event.subject.kind === kind ? event.subject.id : null;
}

function recentEventOf(record: EventRecord, vehicleId: string | null, chargerId: string | null): RecentEvent {
  const event = record.payload;
  return {
    id: record.id, type: event.type, occurredAt: trustedTime(record), receivedAt: record.receivedAt,
    source: event.source, subject: { ...event.subject }, vehicleId, chargerId, data: event.data,
  };
}
