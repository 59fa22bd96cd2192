import type { FleetRecord } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { applyRecord } from './apply-record.js';
import { createFleetState, type FleetState } from './fleet-state.js';
import { createFleetReader, vehicleStatus } from './fleet-views.js';
import { connectorReading, eventRecord, reading, T0 } from '../../../test/support/fleet-records.js';

const judgement = { offlineAfterMs: 60_000, lowBatteryPct: 20, maxRecentEvents: 50 };
const fold = (records: readonly FleetRecord[], state = createFleetState(judgement)): FleetState => {
  for (const record of records) applyRecord(state, record);
  return state;
};
/** Everything the API would show, at one instant: two states that show the same are the same. */
const shown = (state: FleetState, now = T0 + 10_000) => {
  const reader = createFleetReader(state, judgement);
  return { summary: reader.summary(now), vehicles: reader.vehicles(now), chargers: reader.chargers(now), events: reader.recentEvents(50) };
};
const vehicleEvent = { source: { kind: 'vehicle', id: 'VH-1' }, subject: { kind: 'vehicle', id: 'VH-1' } } as const;
const chargerEvent = { source: { kind: 'charger', id: 'CH-1' }, subject: { kind: 'charger', id: 'CH-1' } } as const;

describe('applyRecord: vehicle telemetry', () => {
  it('keeps the last reading and when the vehicle was last seen', () => {
    const state = fold([reading('VH-1', 1, T0, { socPct: 64, speedKph: 30, position: { lat: 52.5, lon: 13.4 }, dtcs: ['P0A80'] })]);
    expect(state.vehicles.get('VH-1')).toMatchObject({
      reading: { socPct: 64, speedKph: 30, position: { lat: 52.5, lon: 13.4 }, batteryTempC: 24.5, odometerKm: 12_345.6, locked: false, ignition: true, dtcs: ['P0A80'] },
      lastSeen: { deviceTime: T0, receivedAt: T0 + 50 },
    });
  });

  it('is idempotent by record id: a re-delivered record changes nothing, in any order', () => {
    const records: FleetRecord[] = [
      reading('VH-1', 1, T0, { socPct: 60 }),
      eventRecord('TripStarted', { vehicleId: 'VH-1', tripId: 'trip-1' }, { ...vehicleEvent, at: T0 + 1000, seq: 1 }),
      reading('VH-1', 2, T0 + 2000, { socPct: 59 }),
      connectorReading('CH-1', 1, T0, { status: 'Available', sessionId: null }),
      eventRecord('ChargingSessionStarted', { chargerId: 'CH-1', connectorId: 1, sessionId: 's-1', vehicleId: 'VH-2' }, { ...chargerEvent, at: T0 + 3000, seq: 2 }),
      eventRecord('BatteryLow', { vehicleId: 'VH-3', socPct: 9, thresholdPct: 15 }, { subject: { kind: 'vehicle', id: 'VH-3' }, at: T0 + 4000, seq: 3 }),
    ];
    const once = fold(records);
    const before = structuredClone(shown(once));
    const vehicle = once.vehicles.get('VH-1');
    fold(records, once);
    fold([...records].reverse(), once);
    expect(shown(once)).toEqual(before);
    expect(once.vehicles.get('VH-1')).toBe(vehicle);
    expect(shown(fold([...records].reverse()))).toEqual(before);
  });

  it('lets the newer device time win: a late older reading does not roll the state back', () => {
    const state = fold([reading('VH-1', 2, T0 + 5000, { socPct: 40, odometerKm: 200 }), reading('VH-1', 1, T0, { socPct: 90, odometerKm: 100 })]);
    expect(state.vehicles.get('VH-1')?.reading).toMatchObject({ socPct: 40, odometerKm: 200, stamp: { at: T0 + 5000 } });
    expect(state.vehicles.get('VH-1')?.lastSeen).toEqual({ deviceTime: T0 + 5000, receivedAt: T0 + 5050 });
  });

  it('merges sparse readings field by field, each by its own newest time', () => {
    const sparse = (seq: number, at: number, payload: Record<string, unknown>) => {
      const record = reading('VH-1', seq, at);
      return { ...record, payload: { v: 1 as const, ts: at, ...payload } };
    };
    const records = [
      sparse(1, T0, { socPct: 80, position: { lat: 52.5, lon: 13.4 } }),
      sparse(2, T0 + 2000, { socPct: 79 }),
      sparse(3, T0 + 1000, { position: { lat: 52.6, lon: 13.5 }, odometerKm: 10, socPct: 90 }),
    ];
    for (const order of [records, [...records].reverse()]) {
      const vehicle = fold(order).vehicles.get('VH-1');
      expect(vehicle?.reading).toMatchObject({ socPct: 79, position: { lat: 52.6, lon: 13.5 }, odometerKm: 10, stamp: { at: T0 + 2000 } });
      expect(vehicle?.reading?.stamps).toMatchObject({ socPct: { at: T0 + 2000 }, position: { at: T0 + 1000 }, odometerKm: { at: T0 + 1000 } });
      expect(vehicle?.reading).not.toHaveProperty('speedKph');
    }
  });

  it('orders a skewed device clock by the edge receive time', () => {
    const ahead = { ...reading('VH-1', 1, T0 + 365 * 86_400_000, { socPct: 10 }), receivedAt: T0, clock: { skewMs: 365 * 86_400_000, flag: 'skewed' as const } };
    const state = fold([ahead, reading('VH-1', 2, T0 + 1000, { socPct: 55 })]);
    expect(state.vehicles.get('VH-1')?.reading?.socPct).toBe(55);
  });
});

describe('applyRecord: trips', () => {
  const started = eventRecord('TripStarted', { vehicleId: 'VH-1', tripId: 'trip-7', bookingId: 'b-7' }, { ...vehicleEvent, at: T0 + 1000, seq: 1 });
  const ended = eventRecord('TripEnded', { vehicleId: 'VH-1', tripId: 'trip-7', distanceKm: 3.2 }, { source: vehicleEvent.source, subject: { kind: 'trip', id: 'trip-7' }, at: T0 + 9000, seq: 2 });
  const parkedReading = reading('VH-1', 3, T0, { speedKph: 0 });

  it('opens a trip on TripStarted (the vehicle is driving, even when standing) and closes it on TripEnded', () => {
    const state = fold([parkedReading, started]);
    expect(state.vehicles.get('VH-1')?.trip.current).toEqual({ tripId: 'trip-7', bookingId: 'b-7', startedAt: T0 + 1000, startPosition: { lat: 52.52, lon: 13.405 } });
    expect(vehicleStatus(state.vehicles.get('VH-1')!, T0 + 5000, judgement)).toBe('driving');
    fold([ended], state);
    expect(state.vehicles.get('VH-1')?.trip.current).toBeNull();
    expect(state.vehicles.get('VH-1')?.lastTrip).toMatchObject({ tripId: 'trip-7', endedAt: T0 + 9000, distanceKm: 3.2 });
    expect(vehicleStatus(state.vehicles.get('VH-1')!, T0 + 10_000, judgement)).toBe('parked');
  });

  it('does not reopen a trip whose end arrived first, or that is re-delivered after its end', () => {
    expect(fold([parkedReading, ended, started]).vehicles.get('VH-1')?.trip.current).toBeNull();
    expect(fold([parkedReading, started, ended, started]).vehicles.get('VH-1')?.trip.current).toBeNull();
  });

  it('keeps the newest ended trip when an older TripEnded arrives after a newer trip started', () => {
    const next = eventRecord('TripStarted', { vehicleId: 'VH-1', tripId: 'trip-8' }, { ...vehicleEvent, at: T0 + 20_000, seq: 3 });
    const vehicle = fold([started, next, ended]).vehicles.get('VH-1');
    expect(vehicle?.trip.current?.tripId).toBe('trip-8');
    expect(vehicle?.lastTrip?.tripId).toBe('trip-7');
  });
});

describe('applyRecord: returns and alerts', () => {
  it('keeps the newest return verdict and fraud finding', () => {
    const newer = eventRecord('ReturnVerified', { vehicleId: 'VH-1', returnId: 'ret-2', verdict: 'rejected' }, { subject: { kind: 'vehicle', id: 'VH-1' }, at: T0 + 2000, seq: 1 });
    const older = eventRecord('ReturnVerified', { vehicleId: 'VH-1', returnId: 'ret-1', verdict: 'accepted' }, { subject: { kind: 'vehicle', id: 'VH-1' }, at: T0 + 1000, seq: 2 });
    const fraud = eventRecord('FraudDetected', { vehicleId: 'VH-1', returnId: 'ret-2', score: 0.93, reasons: ['screen_recapture'] }, { subject: { kind: 'vehicle', id: 'VH-1' }, at: T0 + 2000, seq: 3 });
    const vehicle = fold([newer, older, fraud]).vehicles.get('VH-1');
    expect(vehicle?.lastReturn).toMatchObject({ returnId: 'ret-2', verdict: 'rejected' });
    expect(vehicle?.lastFraud).toMatchObject({ returnId: 'ret-2', score: 0.93, reasons: ['screen_recapture'] });
    // Events from the edge about a vehicle do not make the vehicle "seen".
    expect(vehicle?.lastSeen).toBeNull();
  });

  it('opens BatteryLow, closes it on a newer reading above the threshold, and does not reopen it from a late copy', () => {
    const low = eventRecord('BatteryLow', { vehicleId: 'VH-1', socPct: 12, thresholdPct: 15 }, { ...vehicleEvent, at: T0 + 1000, seq: 1 });
    const state = fold([reading('VH-1', 1, T0, { socPct: 12 }), low]);
    const alerts = () => createFleetReader(state, judgement).vehicle('VH-1', T0)?.alerts;
    expect(alerts()).toEqual([{ type: 'BatteryLow', at: T0 + 1000, detail: 'SoC 12% below 15%' }]);
    fold([reading('VH-1', 2, T0 + 60_000, { socPct: 40 })], state);
    expect(alerts()).toEqual([]);
    fold([low], state);
    expect(alerts()).toEqual([]);
    // The same records the other way round: the same answer.
    const reversed = fold([low, reading('VH-1', 2, T0 + 60_000, { socPct: 40 }), reading('VH-1', 1, T0, { socPct: 12 })]);
    expect(createFleetReader(reversed, judgement).vehicle('VH-1', T0)?.alerts).toEqual([]);
  });

  it('keeps one MaintenanceRequired per component, the newest', () => {
    const maintenance = (component: string, reason: string, at: number, seq: number) =>
      eventRecord('MaintenanceRequired', { component, reason }, { subject: { kind: 'vehicle', id: 'VH-1' }, at, seq, source: { kind: 'cloud', id: 'maintenance' } });
    const vehicle = fold([maintenance('tyre_fl', 'slow leak', T0 + 2000, 1), maintenance('tyre_fl', 'older', T0, 2), maintenance('brakes', 'worn', T0 + 1000, 3)]).vehicles.get('VH-1');
    expect(vehicle?.maintenance.map((m) => [m.component, m.reason])).toEqual([['brakes', 'worn'], ['tyre_fl', 'slow leak']]);
  });
});

describe('applyRecord: chargers', () => {
  it('tracks a connector through a session: telemetry, start (the vehicle is charging), stop, fault', () => {
    const state = fold([connectorReading('CH-1', 1, T0, { connectorId: 2, status: 'Preparing', sessionId: null, powerKw: 0, siteId: 'site-1' }), reading('VH-2', 1, T0, { speedKph: 0 })]);
    const charger = () => createFleetReader(state, judgement).chargers(T0)[0];
    fold([eventRecord('ChargingSessionStarted', { chargerId: 'CH-1', connectorId: 2, sessionId: 'sess-1', vehicleId: 'VH-2' }, { ...chargerEvent, at: T0 + 1000, seq: 1 })], state);
    fold([connectorReading('CH-1', 2, T0 + 2000, { connectorId: 2, status: 'Charging', sessionId: 'sess-1', powerKw: 48 })], state);
    expect(charger()).toMatchObject({
      siteId: 'site-berlin-1', connectors: [{ connectorId: 2, status: 'Charging', sessionId: 'sess-1', vehicleId: 'VH-2', powerKw: 48 }],
    });
    expect(state.vehicles.get('VH-2')?.charging.current).toEqual({ chargerId: 'CH-1', connectorId: 2, sessionId: 'sess-1', since: T0 + 1000 });
    expect(vehicleStatus(state.vehicles.get('VH-2')!, T0 + 3000, judgement)).toBe('charging');

    fold([eventRecord('ChargingSessionStopped', { chargerId: 'CH-1', connectorId: 2, sessionId: 'sess-1', vehicleId: 'VH-2', meterStopWh: 1_300_000 }, { ...chargerEvent, at: T0 + 5000, seq: 2 })], state);
    expect(charger()?.connectors[0]).toMatchObject({ status: 'Finishing', sessionId: null, vehicleId: null, powerKw: 0, energyWh: 1_300_000 });
    expect(vehicleStatus(state.vehicles.get('VH-2')!, T0 + 6000, judgement)).toBe('parked');

    // A late reading from inside the session does not bring it back.
    fold([connectorReading('CH-1', 3, T0 + 3000, { connectorId: 2, status: 'Charging', sessionId: 'sess-1', powerKw: 50 })], state);
    expect(charger()?.connectors[0]?.status).toBe('Finishing');

    fold([connectorReading('CH-1', 4, T0 + 6000, { connectorId: 1, status: 'Available', sessionId: null })], state);
    fold([eventRecord('ChargerFaulted', { chargerId: 'CH-1', connectorId: 0, errorCode: 'GroundFailure' }, { ...chargerEvent, at: T0 + 7000, seq: 3 })], state);
    expect(charger()?.connectors.map((c) => [c.connectorId, c.status, c.errorCode])).toEqual([
      [1, 'Faulted', 'GroundFailure'], [2, 'Faulted', 'GroundFailure'],
    ]);
  });
});

describe('offline after a configurable silence', () => {
  it('judges by the newest edge receive time, at read time', () => {
    const state = fold([reading('VH-1', 1, T0, { speedKph: 0 })]);
    const vehicle = state.vehicles.get('VH-1')!;
    expect(vehicleStatus(vehicle, T0 + 50 + 60_000, judgement)).toBe('parked');
    expect(vehicleStatus(vehicle, T0 + 50 + 60_001, judgement)).toBe('offline');
    expect(vehicleStatus(vehicle, T0 + 50 + 60_001, { ...judgement, offlineAfterMs: 120_000 })).toBe('parked');
  });
});

describe('recent events', () => {
  it('keeps the newest N by device time, newest first, each once', () => {
    const state = createFleetState({ maxRecentEvents: 3 });
    const events = [5, 1, 4, 2, 3].map((n) => eventRecord('BatteryLow', { vehicleId: 'VH-1' }, { subject: { kind: 'vehicle', id: 'VH-1' }, at: T0 + n * 1000, seq: n }));
    fold([...events, ...events], state);
    expect(state.recentEvents.newest(10).map((e) => e.occurredAt - T0)).toEqual([5000, 4000, 3000]);
    expect(state.recentEvents.newest(2)).toHaveLength(2);
    expect(state.recentEvents.newest(1)[0]).toMatchObject({ type: 'BatteryLow', vehicleId: 'VH-1', chargerId: null, source: 'edge:node-1' });
  });
});
