import { describe, expect, it } from 'vitest';
import { measurePressure, mustRefuseAppends, planRelief, type PressureInput, type ReliefLimits } from './relief-policy.js';

const limits: ReliefLimits = { maxBytes: 1000, minFreeDiskBytes: 500, margin: 0.1, compactKeepEvery: 4, stepRecords: 100 };
const calm: PressureInput = { storedBytes: 900, freeDiskBytes: 10_000, telemetryRecords: 50, compactableRecords: 50, alertRecords: 5 };

describe('measurePressure', () => {
  it('is undefined within the limits and unknown disk space is no pressure', () => {
    expect(measurePressure(calm, limits)).toBeUndefined();
    expect(measurePressure({ ...calm, freeDiskBytes: null }, limits)).toBeUndefined();
  });

  it('asks to free down to the margin below the quota', () => {
    expect(measurePressure({ ...calm, storedBytes: 1200 }, limits)).toEqual({ cause: 'quota', bytes: 300 });
  });

  it('names the disk when the floor deficit is the larger one', () => {
    expect(measurePressure({ ...calm, storedBytes: 1010, freeDiskBytes: 100 }, limits)).toEqual({ cause: 'disk', bytes: 450 });
  });
});

describe('planRelief', () => {
  it('does nothing without pressure', () => {
    expect(planRelief(calm, limits)).toBeUndefined();
  });

  it('compacts telemetry first', () => {
    expect(planRelief({ ...calm, storedBytes: 1200 }, limits)).toEqual({ type: 'compact', cause: 'quota', keepEvery: 4, maxRecords: 100 });
  });

  it('evicts the oldest telemetry once nothing is left to compact', () => {
    expect(planRelief({ ...calm, storedBytes: 1200, compactableRecords: 3 }, limits)).toEqual({
      type: 'evict',
      cause: 'quota',
      priority: 'telemetry',
      reason: 'evicted_quota',
      bytes: 300,
      maxRecords: 100,
    });
  });

  it('evicts alerts only after telemetry, under the disk reason at the floor', () => {
    const action = planRelief({ ...calm, freeDiskBytes: 100, telemetryRecords: 0, compactableRecords: 0 }, limits);
    expect(action).toMatchObject({ type: 'evict', priority: 'alert', reason: 'evicted_disk', bytes: 450 });
  });

  it('never plans to evict critical events', () => {
    expect(planRelief({ ...calm, storedBytes: 5000, telemetryRecords: 0, compactableRecords: 0, alertRecords: 0 }, limits)).toBeUndefined();
  });
});

describe('mustRefuseAppends', () => {
  const onlyCritical = { ...calm, telemetryRecords: 0, compactableRecords: 0, alertRecords: 0 };
  it('refuses only at the disk floor with nothing left to remove', () => {
    expect(mustRefuseAppends({ ...onlyCritical, freeDiskBytes: 100 }, limits)).toBe(true);
    expect(mustRefuseAppends({ ...onlyCritical, storedBytes: 5000 }, limits)).toBe(false);
    expect(mustRefuseAppends({ ...calm, freeDiskBytes: 100 }, limits)).toBe(false);
  });
});
