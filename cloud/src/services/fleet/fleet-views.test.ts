import { describe, expect, it } from 'vitest';
import { applyRecord } from './apply-record.js';
import { createFleetState } from './fleet-state.js';
import { fleetSummary, MAINTENANCE_GRACE_DAYS, maintenanceList, vehicleView } from './fleet-views.js';
import { connectorReading, eventRecord, reading, T0 } from '../../../test/support/fleet-records.js';

const judgement = { offlineAfterMs: 60_000, lowBatteryPct: 20 };

describe('fleetSummary', () => {
  it('counts vehicles by state, low batteries, connectors of online chargers by status, and open alerts', () => {
    const state = createFleetState({ maxRecentEvents: 10 });
    const now = T0 + 30_000;
    for (const record of [
      reading('VH-drive', 1, T0, { speedKph: 42, socPct: 80 }),
      reading('VH-park', 1, T0, { speedKph: 0, socPct: 15 }),
      reading('VH-charge', 1, T0, { speedKph: 0, socPct: 50 }),
      reading('VH-gone', 1, T0 - 120_000, { speedKph: 30, socPct: 90 }),
      eventRecord('ChargingSessionStarted', { chargerId: 'CH-1', connectorId: 1, sessionId: 's-1', vehicleId: 'VH-charge' },
        { subject: { kind: 'charger', id: 'CH-1' }, source: { kind: 'charger', id: 'CH-1' }, at: T0 + 1000, seq: 1 }),
      connectorReading('CH-1', 1, T0 + 2000, { connectorId: 1, status: 'Charging', sessionId: 's-1' }),
      connectorReading('CH-1', 2, T0 + 2000, { connectorId: 2, status: 'Faulted', errorCode: 'GroundFailure', sessionId: null }),
      connectorReading('CH-old', 1, T0 - 120_000, { status: 'Available', sessionId: null }),
      eventRecord('BatteryLow', { vehicleId: 'VH-park', socPct: 15, thresholdPct: 18 }, { subject: { kind: 'vehicle', id: 'VH-park' }, at: T0 + 500, seq: 2 }),
      eventRecord('MaintenanceRequired', { component: 'tyre_fl' }, { subject: { kind: 'vehicle', id: 'VH-drive' }, at: T0, seq: 3 }),
    ]) applyRecord(state, record);

    const summary = fleetSummary(state, now, judgement);
    expect(summary.vehicles).toEqual({ total: 4, driving: 1, parked: 1, charging: 1, offline: 1, lowBattery: 1 });
    expect(summary.chargers).toMatchObject({ total: 2, offline: 1 });
    expect(summary.chargers.connectors).toMatchObject({ Charging: 1, Faulted: 1, Available: 0 });
    expect(Object.values(summary.chargers.connectors).reduce((a, b) => a + b, 0)).toBe(2);
    expect(summary.alerts).toEqual({ batteryLow: 1, maintenance: 1, total: 2 });
  });

  it('keeps a MaintenanceRequired open until the failure it predicted plus the grace days, then drops it', () => {
    const state = createFleetState({ maxRecentEvents: 10 });
    applyRecord(state, reading('VH-1', 1, T0, { speedKph: 0, socPct: 80 }));
    applyRecord(state, eventRecord('MaintenanceRequired', { component: 'tyre_fl', predictedFailureWithinDays: 5 }, { subject: { kind: 'vehicle', id: 'VH-1' }, at: T0, seq: 2 }));
    const openUntil = T0 + (5 + MAINTENANCE_GRACE_DAYS) * 86_400_000;
    expect(fleetSummary(state, openUntil - 1, judgement).alerts.maintenance).toBe(1);
    expect(vehicleView(state.vehicles.get('VH-1')!, openUntil - 1, judgement).alerts.map((a) => a.type)).toEqual(['MaintenanceRequired']);
    expect(fleetSummary(state, openUntil, judgement).alerts.maintenance).toBe(0);
    expect(vehicleView(state.vehicles.get('VH-1')!, openUntil, judgement).alerts).toEqual([]);
  });

  it('lists the open findings of every vehicle with due date and risk, soonest first', () => {
    const state = createFleetState({ maxRecentEvents: 10 });
    const finding = (vehicle: string, component: string, days: number, severity: 'low' | 'high', seq: number) =>
      eventRecord('MaintenanceRequired', { component, predictedFailureWithinDays: days, severity, confidence: 0.8 }, { subject: { kind: 'vehicle', id: vehicle }, at: T0, seq });
    for (const record of [finding('VH-2', 'tyre_rl', 9, 'low', 1), finding('VH-1', 'aux_battery', 2, 'high', 2), finding('VH-3', 'tyre_fl', 1, 'high', 3)]) applyRecord(state, record);
    const now = T0 + (1 + MAINTENANCE_GRACE_DAYS) * 86_400_000;
    expect(maintenanceList(state, now).map((m) => [m.vehicleId, m.component, m.severity, m.confidence, m.dueAt - T0])).toEqual([
      ['VH-1', 'aux_battery', 'high', 0.8, 2 * 86_400_000],
      ['VH-2', 'tyre_rl', 'low', 0.8, 9 * 86_400_000],
    ]);
  });

  it('is all zeros for an empty fleet', () => {
    const summary = fleetSummary(createFleetState({ maxRecentEvents: 1 }), T0, judgement);
    expect(summary.vehicles.total + summary.chargers.total + summary.alerts.total).toBe(0);
  });
});
