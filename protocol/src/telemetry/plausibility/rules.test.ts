import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAUSIBILITY_LIMITS as LIMITS } from './limits.js';
import { energyRegisterRule, odometerRule, socRule, type Sample } from './rules.js';

const HOUR = 3_600_000;
const s = (value: number, at: number, session?: string | null): Sample => (session === undefined ? { value, at } : { value, at, session });
const outcome = (judgement: ReturnType<typeof odometerRule>) => (judgement.plausible ? (judgement.discontinuity ?? 'plausible') : judgement.reason);

describe('odometerRule', () => {
  it('accepts standing still and driving up to the maximum speed (plus slack)', () => {
    expect(outcome(odometerRule(s(1000, 0), s(1000, 60_000), LIMITS))).toBe('plausible');
    expect(outcome(odometerRule(s(1000, 0), s(1300, HOUR), LIMITS))).toBe('plausible');
    expect(outcome(odometerRule(s(1000, 0), s(1001, 1), LIMITS))).toBe('plausible');
  });

  it('refuses running backwards, by any amount', () => {
    const judgement = odometerRule(s(12_345.6, 0), s(12_345.5, 1000), LIMITS);
    expect(judgement).toMatchObject({ plausible: false, reason: 'odometer_backwards' });
    expect(!judgement.plausible && judgement.detail).toContain('12345.6');
  });

  it('refuses a distance faster than the maximum speed: +1,000,000 km in milliseconds, 302 km in an hour', () => {
    expect(outcome(odometerRule(s(1000, 0), s(1_001_000, 5), LIMITS))).toBe('odometer_jump');
    expect(outcome(odometerRule(s(1000, 0), s(1302, HOUR), LIMITS))).toBe('odometer_jump');
  });
});

describe('socRule', () => {
  it('accepts charging and draining within the rates, and small recalibrations at once', () => {
    expect(outcome(socRule(s(20, 0), s(80, 0.25 * HOUR), LIMITS))).toBe('plausible');
    expect(outcome(socRule(s(80, 0), s(77, 1000), LIMITS))).toBe('plausible');
  });

  it('refuses a battery filling or emptying faster than possible', () => {
    expect(outcome(socRule(s(5, 0), s(100, 60_000), LIMITS))).toBe('soc_jump');
    expect(outcome(socRule(s(90, 0), s(10, 60_000), LIMITS))).toBe('soc_jump');
    expect(outcome(socRule(s(10, 0), s(90, 60_000), { ...LIMITS, maxChargePctPerHour: 10_000 }))).toBe('plausible');
  });
});

describe('energyRegisterRule', () => {
  it('accepts a register counting up within the charger power', () => {
    expect(outcome(energyRegisterRule(s(10_000, 0, 'a'), s(10_000 + 50_000, 0.25 * HOUR, 'a'), LIMITS))).toBe('plausible');
  });

  it('refuses a register running backwards within a session, or faster than the charger can deliver', () => {
    expect(outcome(energyRegisterRule(s(10_000, 0, 'a'), s(9_000, 10_000, 'a'), LIMITS))).toBe('energy_backwards');
    expect(outcome(energyRegisterRule(s(10_000, 0, 'a'), s(9_000, 10_000), LIMITS))).toBe('energy_backwards');
    expect(outcome(energyRegisterRule(s(10_000, 0, 'a'), s(500_000, 10_000, 'a'), LIMITS))).toBe('energy_jump');
  });

  it('accepts a reset across a session boundary, counted as register_reset', () => {
    expect(outcome(energyRegisterRule(s(48_000, 0, 'a'), s(0, 60_000, 'b'), LIMITS))).toBe('register_reset');
    expect(outcome(energyRegisterRule(s(48_000, 0, 'a'), s(0, 60_000, null), LIMITS))).toBe('register_reset');
  });

  it('accepts a wrap at the register size within a session only when the wrapped step is itself plausible', () => {
    expect(outcome(energyRegisterRule(s(999_950, 0, 'a'), s(120, 10_000, 'a'), LIMITS))).toBe('register_rollover');
    expect(outcome(energyRegisterRule(s(2 ** 32 - 100, 0, 'a'), s(200, 10_000, 'a'), LIMITS))).toBe('register_rollover');
    expect(outcome(energyRegisterRule(s(700_000, 0, 'a'), s(120, 10_000, 'a'), LIMITS))).toBe('energy_backwards');
  });
});
