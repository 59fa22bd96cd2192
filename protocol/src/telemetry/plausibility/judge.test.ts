import { describe, expect, it } from 'vitest';
import { judgeReading, type Quantity, type Tracks } from './judge.js';
import { DEFAULT_PLAUSIBILITY_LIMITS as LIMITS } from './limits.js';
import { chargerQuantities, readingClock, vehicleQuantities, type ReadingClock } from './quantities.js';
import { odometerRule } from './rules.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const odometer = (value: number, at: number, clock: Partial<ReadingClock> = {}): Quantity[] => [{ key: 'odometerKm', rule: odometerRule, sample: { value, at, receivedAt: at, ahead: false, ...clock } }];
const live = (at: number): ReadingClock => ({ at, receivedAt: at, ahead: false });

/** Feeds readings in order, as the intake does; returns each outcome ('ok', a reason, or a discontinuity). */
function run(readings: Array<Quantity[]>, limits = LIMITS): string[] {
  let tracks: Tracks = {};
  return readings.map((quantities) => {
    const verdict = judgeReading(tracks, quantities, limits);
    tracks = verdict.tracks;
    if (!verdict.ok) return verdict.reason;
    return verdict.discontinuities.map((d) => d.kind).join(',') || 'ok';
  });
}

describe('judgeReading', () => {
  it('one corrupt reading (odometer +1,000,000 km within milliseconds) among good ones costs only itself', () => {
    const good = Array.from({ length: 50 }, (_, i) => odometer(20_000 + i * 0.4, T0 + i * 5_000));
    const stream = [...good.slice(0, 20), odometer(1_020_008, T0 + 19 * 5_000 + 3), ...good.slice(20)];
    const outcomes = run(stream);
    expect(outcomes[20]).toBe('odometer_jump');
    expect(outcomes.filter((o) => o !== 'ok')).toEqual(['odometer_jump']);
  });

  it('never makes an implausible reading the reference: the next good one is judged against the last plausible one', () => {
    expect(run([odometer(100, T0), odometer(5_000_000, T0 + 1000), odometer(100.1, T0 + 2000), odometer(99, T0 + 3000)])).toEqual([
      'ok', 'odometer_jump', 'ok', 'odometer_backwards',
    ]);
  });

  it('judges a late reading (a backlog after live data) against the reference in time order, without moving it', () => {
    expect(run([odometer(500, T0 + 3_600_000), odometer(450, T0), odometer(600, T0 + 1000), odometer(501, T0 + 3_700_000)])).toEqual([
      'ok', 'ok', 'odometer_backwards', 'ok',
    ]);
  });

  it('rebases onto a replaced odometer once `confirmAfter` readings in a row agree with each other', () => {
    const outcomes = run([odometer(150_000, T0), odometer(3, T0 + 60_000), odometer(4, T0 + 120_000), odometer(5, T0 + 180_000), odometer(5.5, T0 + 240_000)]);
    expect(outcomes).toEqual(['ok', 'odometer_backwards', 'odometer_backwards', 'rebased', 'ok']);
  });

  it('does not rebase on corrupt readings that disagree with each other, nor when a good reading comes between', () => {
    expect(run([odometer(100, T0), odometer(9e6, T0 + 1000), odometer(5e6, T0 + 2000), odometer(7e6, T0 + 3000), odometer(100.2, T0 + 4000)])).toEqual([
      'ok', 'odometer_jump', 'odometer_jump', 'odometer_jump', 'ok',
    ]);
    expect(run([odometer(100, T0), odometer(9e6, T0 + 1000), odometer(100.1, T0 + 2000), odometer(9e6, T0 + 3000), odometer(9e6, T0 + 4000)])).toEqual([
      'ok', 'odometer_jump', 'ok', 'odometer_jump', 'odometer_jump',
    ]);
  });

  it('starts afresh after a long gap (a vehicle off for weeks, back with a new cluster), counted as long_gap', () => {
    expect(run([odometer(80_000, T0), odometer(12, T0 + 20 * DAY), odometer(13, T0 + 20 * DAY + 60_000)])).toEqual(['ok', 'long_gap', 'ok']);
  });

  it('refuses the whole reading when one quantity is implausible, and moves no reference', () => {
    const reading = (km: number, soc: number, at: number) => vehicleQuantities({ v: 1, ts: at, odometerKm: km, socPct: soc }, live(at));
    expect(run([reading(100, 50, T0), reading(100.1, 99, T0 + 1000), reading(100.2, 50, T0 + 2000)])).toEqual(['ok', 'soc_jump', 'ok']);
  });

  it('judges sparse readings per quantity against the last reading that carried it', () => {
    const soc = (value: number, at: number) => vehicleQuantities({ v: 1, ts: at, socPct: value }, live(at));
    const km = (value: number, at: number) => vehicleQuantities({ v: 1, ts: at, odometerKm: value }, live(at));
    expect(run([soc(50, T0), km(100, T0 + 1000), soc(49.5, T0 + 60_000), km(100.5, T0 + 61_000), soc(95, T0 + 62_000)])).toEqual([
      'ok', 'ok', 'ok', 'ok', 'soc_jump',
    ]);
    expect(vehicleQuantities({ v: 1, ts: T0 }, live(T0))).toEqual([]);
  });

  it('keeps one energy register per connector', () => {
    const meter = (connectorId: number, energyWh: number, at: number, sessionId: string | null = 's') =>
      chargerQuantities({ v: 1, ts: at, connectorId, energyWh, sessionId }, live(at));
    expect(run([meter(1, 50_000, T0), meter(2, 10, T0 + 1000), meter(1, 50_100, T0 + 2000), meter(2, 5, T0 + 3000), meter(2, 0, T0 + 4000, null)])).toEqual([
      'ok', 'ok', 'ok', 'energy_backwards', 'register_reset',
    ]);
  });
});

describe('clocks', () => {
  it('marks a reading stamped ahead of the edge clock; a backlog stamped in the past is not ahead', () => {
    expect(readingClock({ deviceTime: T0 - DAY, receivedAt: T0, clock: { skewMs: -DAY, flag: 'skewed' } })).toEqual({ at: T0 - DAY, receivedAt: T0, ahead: false });
    expect(readingClock({ deviceTime: T0 + DAY, receivedAt: T0, clock: { skewMs: DAY, flag: 'skewed' } }).ahead).toBe(true);
  });

  it('judges a reading dated a year ahead of a normal one by the receive times: it cannot claim a year of driving', () => {
    expect(run([odometer(100, T0), odometer(1_000_100, T0 + 365 * DAY, { receivedAt: T0 + 1000, ahead: true })])).toEqual(['ok', 'odometer_jump']);
  });

  it('measures by the device clock when both readings share a clock that runs ahead, so its backlog keeps its spacing', () => {
    const ahead = (value: number, at: number) => odometer(value, at + 3_600_000, { receivedAt: T0 + 60_000, ahead: true });
    // Five minutes of driving, received in one burst after a reconnect.
    expect(run([ahead(100, T0), ahead(101, T0 + 60_000), ahead(103, T0 + 180_000), ahead(105, T0 + 300_000)])).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});
