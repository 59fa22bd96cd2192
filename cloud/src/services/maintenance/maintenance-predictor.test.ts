import { parseMessageId, validateEvent, type VehicleTelemetryRecord } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { maintenanceEventRecord } from './maintenance-event.js';
import { applyRecord, createMaintenancePredictor, retryUnsent, type Raised } from './maintenance-predictor.js';
import { DAY, T0, defaultPredictionSettings, parkedReadings } from '../../../test/support/maintenance-readings.js';

function feed(records: readonly VehicleTelemetryRecord[], predictor = createMaintenancePredictor(defaultPredictionSettings())): { predictor: typeof predictor; raised: Raised[] } {
  const raised: Raised[] = [];
  for (const record of records) raised.push(...applyRecord(predictor, record).raised);
  return { predictor, raised };
}

describe('maintenance predictor', () => {
  it('raises a slow leak in one tyre once, through the daily temperature swing, and leaves the others alone', () => {
    // 8 kPa/day from 250: below 210 in five days, inside the 14-day horizon.
    const { raised } = feed(parkedReadings('VH-1', 4, { leak: { tyre: 'rl', kpaPerDay: 8 } }));
    expect(raised.map((r) => r.assessment.component)).toEqual(['tyre_rl']);
    const [finding] = raised;
    expect(finding?.assessment.evidence.lossKpaPerDay).toBeCloseTo(8, 0);
    expect(finding?.assessment.withinDays).toBeGreaterThan(3);
    expect(finding?.assessment.withinDays).toBeLessThan(5.5);
    expect(finding?.assessment.confidence).toBeGreaterThanOrEqual(0.8);
  });

  it('raises a weakening 12 V battery before it reaches 12.2 V', () => {
    // 50 mV/day from 12.6 V: 12.2 V after eight days.
    const { raised } = feed(parkedReadings('VH-1', 3, { auxVPerDay: 0.05 }));
    expect(raised.map((r) => r.assessment.component)).toEqual(['aux_battery']);
    expect(raised[0]?.assessment.evidence.lossMvPerDay).toBeCloseTo(50, 0);
    expect(raised[0]?.assessment.withinDays).toBeGreaterThan(5);
  });

  it('stays quiet on a healthy vehicle', () => {
    expect(feed(parkedReadings('VH-1', 6, {})).raised).toEqual([]);
  });

  it('gives a finding one deterministic id: records delivered again, or replayed into a new process, raise nothing new', () => {
    const records = parkedReadings('VH-1', 4, { leak: { tyre: 'fl', kpaPerDay: 10 } });
    const first = feed(records);
    expect(first.raised).toHaveLength(1);
    expect(feed(records, first.predictor).raised).toEqual([]);
    const replay = feed(records);
    expect(replay.raised.map((r) => r.eventId)).toEqual(first.raised.map((r) => r.eventId));
    const id = parseMessageId(first.raised[0]?.eventId);
    expect(id?.deviceId).toBe('maintenance');
    expect(id?.seq).toBe(Math.floor((first.raised[0]?.assessment.at as number) / DAY));
  });

  it('learns the findings it already raised from its own events on the bus', () => {
    const records = parkedReadings('VH-1', 4, { leak: { tyre: 'fl', kpaPerDay: 10 } });
    const first = feed(records);
    const raised = first.raised[0] as Raised;
    const restarted = createMaintenancePredictor(defaultPredictionSettings());
    // The events topic replays before the telemetry does.
    applyRecord(restarted, maintenanceEventRecord('VH-1', raised.assessment, 14, T0));
    expect(feed(records, restarted).raised).toEqual([]);
  });

  it('raises a finding whose event was not produced again with the re-delivered records, under the same id', () => {
    const records = parkedReadings('VH-1', 4, { leak: { tyre: 'fl', kpaPerDay: 10 } });
    const first = feed(records);
    retryUnsent(first.predictor, first.raised);
    const again = feed(records.slice(-10), first.predictor).raised;
    expect(again.map((r) => r.eventId)).toEqual(first.raised.map((r) => r.eventId));
    expect(feed(records.slice(-10), first.predictor).raised).toEqual([]);
  });

  it('closes a finding when the tyre is re-inflated, and raises a new one with a new id when it leaks again', () => {
    const leaking = parkedReadings('VH-1', 3, { leak: { tyre: 'rr', kpaPerDay: 12 } });
    const { predictor, raised } = feed(leaking);
    expect(raised).toHaveLength(1);
    // Pumped back to 250 on day 3; a week of steady readings clears the trend.
    const steady = parkedReadings('VH-1', 10, {}).map((r) => ({ ...r, id: `VH-1:pump:${r.payload.seq}`, deviceTime: r.deviceTime + 3 * DAY, receivedAt: r.receivedAt + 3 * DAY }));
    expect(feed(steady, predictor).raised).toEqual([]);
    expect(predictor.vehicles.get('VH-1')?.findings.get('tyre_rr')?.open).toBe(false);
    const again = parkedReadings('VH-1', 3, { leak: { tyre: 'rr', kpaPerDay: 12 } }).map((r) => ({ ...r, id: `VH-1:leak2:${r.payload.seq}`, deviceTime: r.deviceTime + 13 * DAY, receivedAt: r.receivedAt + 13 * DAY }));
    const second = feed(again, predictor).raised;
    expect(second.map((r) => r.assessment.component)).toEqual(['tyre_rr']);
    expect(second[0]?.eventId).not.toBe(raised[0]?.eventId);
  });

  it('times a clock-skewed reading by its edge receive time, so a clock a year ahead does not age the window out', () => {
    const records = parkedReadings('VH-1', 2, {});
    const { predictor } = feed(records);
    const last = records[records.length - 1] as VehicleTelemetryRecord;
    const skewed: VehicleTelemetryRecord = { ...last, id: 'VH-1:b00t1:9999', deviceTime: last.deviceTime + 365 * DAY, receivedAt: last.receivedAt + 3_600_000, clock: { skewMs: 365 * DAY, flag: 'skewed' } };
    applyRecord(predictor, skewed);
    const level = predictor.vehicles.get('VH-1')?.tyres.level ?? [];
    expect(level.length).toBeGreaterThan(50);
    expect(level[level.length - 1]?.at).toBe(skewed.receivedAt);
  });

  it('keeps memory bounded per vehicle however long it reports', () => {
    const settings = defaultPredictionSettings();
    const { predictor } = feed(parkedReadings('VH-1', 30, { leak: { tyre: 'fl', kpaPerDay: 1 } }, (at) => ({ dtcs: Math.floor(at / 3_600_000) % 2 === 0 ? ['P0C73'] : [] })));
    const condition = predictor.vehicles.get('VH-1');
    for (const points of [condition?.tyres.level, condition?.tyres.relative.fl, condition?.auxBattery]) {
      expect(points?.length).toBeLessThanOrEqual(Math.max(settings.tyre.windowReadings, settings.auxBattery.windowReadings));
    }
    // A code flickering every hour keeps a capped list of episodes.
    expect(condition?.faults.codes.get('P0C73')?.episodes.length).toBe(64);
  });

  it('copes with odd readings: flat tyre sensors, the ignition never off', () => {
    const flat = parkedReadings('VH-1', 2, {}, () => ({ tyresKpa: { fl: 0, fr: 0, rl: 0, rr: 0 } }));
    expect(feed(flat).raised).toEqual([]);
    const driving = parkedReadings('VH-2', 2, { leak: { tyre: 'fl', kpaPerDay: 30 } }, () => ({ ignition: true, speedKph: 30 }));
    // No rested reading, so no cold level to judge against: nothing is claimed.
    const { predictor, raised } = feed(driving);
    expect(raised).toEqual([]);
    expect(predictor.vehicles.get('VH-2')?.auxBattery).toEqual([]);
  });

  it('produces events that validate, from the cloud, with the finding as data', () => {
    const { raised } = feed(parkedReadings('VH-7', 4, { leak: { tyre: 'rl', kpaPerDay: 8 } }));
    const r = raised[0] as Raised;
    const record = maintenanceEventRecord(r.vehicleId, r.assessment, 14, T0 + 5 * DAY);
    expect(validateEvent(record.payload).ok).toBe(true);
    expect(record).toMatchObject({ id: r.eventId, kind: 'event', source: { kind: 'cloud', id: 'maintenance' }, priority: 'alert' });
    expect(record.payload).toMatchObject({
      type: 'MaintenanceRequired', source: 'cloud:maintenance', subject: { kind: 'vehicle', id: 'VH-7' },
      data: { component: 'tyre_rl', reason: 'tyre_pressure_low', severity: 'medium' },
    });
  });
});
