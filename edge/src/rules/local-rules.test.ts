import { parseMessageId, validateRecord, type FleetRecord } from '@fleetwire/protocol';
import { chargerRecordFixture, chargerTelemetryFixture, eventRecordFixture, vehicleRecordFixture, vehicleTelemetryFixture } from '@fleetwire/protocol/testing';
import { describe, expect, it } from 'vitest';
import { ruleEventId } from '../message-ids.js';
import { createLocalRules, type LocalRulesOptions } from './local-rules.js';

function rules(overrides: Partial<LocalRulesOptions> = {}) {
  return createLocalRules({
    nodeId: 'node-1',
    batteryLow: { enabled: true, thresholdPct: 20, hysteresisPct: 5 },
    chargerFaulted: { enabled: true },
    ...overrides,
  });
}

function vehicle(id: string, socPct: number, seq: number): FleetRecord {
  return { ...vehicleRecordFixture(), id: `${id}:b00t1:${seq}`, source: { kind: 'vehicle', id }, payload: vehicleTelemetryFixture({ deviceId: id, socPct, seq }) };
}

describe('local rules', () => {
  it('raises a valid BatteryLow alert record, once per vehicle crossing, with state per vehicle', () => {
    const engine = rules();
    expect(engine.evaluate(vehicle('VH-1', 30, 1))).toEqual([]);
    const [event, ...rest] = engine.evaluate(vehicle('VH-1', 18, 2));
    expect(rest).toEqual([]);
    expect(event).toBeDefined();
    expect(validateRecord(event).ok).toBe(true);
    expect(event).toMatchObject({
      id: ruleEventId('node-1', 'BatteryLow', 'VH-1:b00t1:2'),
      kind: 'event',
      priority: 'alert',
      source: { kind: 'edge', id: 'node-1' },
      payload: { type: 'BatteryLow', source: 'edge:node-1', subject: { kind: 'vehicle', id: 'VH-1' }, correlationId: 'VH-1:b00t1:2', data: { vehicleId: 'VH-1', socPct: 18, thresholdPct: 20 } },
    });
    expect(engine.evaluate(vehicle('VH-1', 17, 3))).toEqual([]);
    // Another vehicle has its own state.
    expect(engine.evaluate(vehicle('VH-2', 10, 1))).toHaveLength(1);
  });

  it('names an alert by the reading that fired it: after a restart the same re-sent reading raises the same id', () => {
    const before = rules().evaluate(vehicle('VH-1', 18, 2));
    const afterRestart = rules().evaluate(vehicle('VH-1', 18, 2));
    const laterReading = rules().evaluate(vehicle('VH-1', 18, 3));
    expect(afterRestart.map((r) => r.id)).toEqual(before.map((r) => r.id));
    expect(laterReading[0]?.id).not.toBe(before[0]?.id);
  });

  it('raises a critical ChargerFaulted per connector transition', () => {
    const engine = rules();
    const reading = (connectorId: number, status: 'Charging' | 'Faulted', errorCode: 'NoError' | 'GroundFailure'): FleetRecord => ({
      ...chargerRecordFixture(),
      payload: chargerTelemetryFixture({ connectorId, status, errorCode }),
    });
    expect(engine.evaluate(reading(1, 'Charging', 'NoError'))).toEqual([]);
    const [fault] = engine.evaluate(reading(1, 'Faulted', 'NoError'));
    expect(validateRecord(fault).ok).toBe(true);
    expect(fault).toMatchObject({ priority: 'critical', payload: { type: 'ChargerFaulted', data: { chargerId: 'CH-0001', connectorId: 1, errorCode: 'OtherError' } } });
    expect(engine.evaluate(reading(1, 'Faulted', 'GroundFailure'))).toEqual([]);
    const [other] = engine.evaluate(reading(2, 'Charging', 'GroundFailure'));
    expect(other).toMatchObject({ payload: { data: { connectorId: 2, errorCode: 'GroundFailure' } } });
    expect(parseMessageId(other?.id)?.deviceId).toBe('node-1');
  });

  it('ignores events and honours disabled rules', () => {
    const engine = rules({ batteryLow: { enabled: false, thresholdPct: 20, hysteresisPct: 5 } });
    expect(engine.evaluate(vehicle('VH-1', 5, 1))).toEqual([]);
    expect(engine.evaluate(eventRecordFixture())).toEqual([]);
  });
});
