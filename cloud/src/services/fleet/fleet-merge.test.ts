import type { FleetRecord } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { connectorReading, eventRecord, reading, T0 } from '../../../test/support/fleet-records.js';
import { applyRecord } from './apply-record.js';
import { mergeFleetStates } from './fleet-merge.js';
import { createFleetState, type FleetState } from './fleet-state.js';
import { createFleetReader } from './fleet-views.js';

const judgement = { offlineAfterMs: 3_600_000, lowBatteryPct: 20, maxRecentEvents: 20 };

/** Sparse readings, trips, charging sessions and alerts about three vehicles and two chargers. */
function records(): FleetRecord[] {
  const out: FleetRecord[] = [];
  for (let i = 0; i < 30; i++) {
    const vehicle = `VH-${i % 3}`;
    const at = T0 + i * 60_000;
    out.push(reading(vehicle, i, at, i % 2 === 0 ? { socPct: 15 + i } : { speedKph: i, odometerKm: 1000 + i }));
    if (i % 5 === 0) {
      const subject = { kind: 'vehicle' as const, id: vehicle };
      out.push(eventRecord(i % 10 === 0 ? 'TripStarted' : 'TripEnded', { vehicleId: vehicle, tripId: `T-${i}` }, { source: subject, subject, at: at + 1, seq: i }));
    }
    if (i % 7 === 0) {
      out.push(eventRecord('ChargingSessionStarted', { chargerId: `CH-${i % 2}`, connectorId: 1, vehicleId: vehicle, sessionId: `S-${i}` }, {
        source: { kind: 'charger', id: `CH-${i % 2}` }, subject: { kind: 'charger', id: `CH-${i % 2}` }, at: at + 2, seq: 100 + i,
      }));
    }
    out.push(connectorReading(`CH-${i % 2}`, i, at + 3, { status: i % 3 === 0 ? 'Charging' : 'Available' }));
  }
  return out;
}

const fold = (input: readonly FleetRecord[]): FleetState => input.reduce((state, record) => applyRecord(state, record), createFleetState(judgement));

const viewOf = (state: FleetState) => {
  const reader = createFleetReader(state, judgement);
  const now = T0 + 40 * 60_000;
  return { vehicles: reader.vehicles(now), chargers: reader.chargers(now), events: reader.recentEvents(20), summary: reader.summary(now) };
};

describe('mergeFleetStates', () => {
  it('merges partition states into what one state folding every record shows, in any order and any split', () => {
    const all = records();
    const expected = viewOf(fold(all));
    for (const parts of [2, 3, 5]) {
      // Split as a bus would (by key), and also record by record round robin (the harshest split).
      const byKey = Array.from({ length: parts }, (_, p) => all.filter((r) => (r.source.id.charCodeAt(3) + (r.kind === 'event' ? 1 : 0)) % parts === p));
      const roundRobin = Array.from({ length: parts }, (_, p) => all.filter((_, i) => i % parts === p));
      for (const split of [byKey, roundRobin]) {
        const states = split.map(fold);
        expect(viewOf(mergeFleetStates(states, judgement.maxRecentEvents))).toEqual(expected);
        expect(viewOf(mergeFleetStates([...states].reverse(), judgement.maxRecentEvents))).toEqual(expected);
      }
    }
  });
});
