import { describe, expect, it } from 'vitest';
import { vehicleTelemetryFixture } from '../../test/support/fixtures.js';
import { checkOdometer, validateVehicleTelemetry } from './vehicle.js';

const reasonOf = (value: unknown) => {
  const verdict = validateVehicleTelemetry(value);
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('validateVehicleTelemetry', () => {
  it('accepts the fixture and returns it unchanged', () => {
    const payload = vehicleTelemetryFixture();
    expect(validateVehicleTelemetry(payload)).toEqual({ ok: true, value: payload });
  });

  it('accepts a payload without epoch, seq and deviceId', () => {
    const { epoch: _e, seq: _s, deviceId: _d, ...bare } = vehicleTelemetryFixture();
    expect(reasonOf(bare)).toBe('ok');
  });

  it.each([
    ['missing field', (p: Record<string, unknown>) => delete p.socPct],
    ['wrong type', (p: Record<string, unknown>) => (p.speedKph = '38')],
    ['unknown field', (p: Record<string, unknown>) => (p.colour = 'red')],
    ['unknown nested field', (p: Record<string, unknown>) => (p.battery = { tempC: 1, voltageV: 1, currentA: 1, x: 1 })],
    ['bad DTC', (p: Record<string, unknown>) => (p.dtcs = ['X123'])],
    ['bad epoch', (p: Record<string, unknown>) => (p.epoch = 'boot-1')],
    ['fractional ts', (p: Record<string, unknown>) => (p.ts = 1.5)],
    ['missing version', (p: Record<string, unknown>) => delete p.v],
  ])('%s → schema_violation', (_name, mutate) => {
    const payload = vehicleTelemetryFixture() as unknown as Record<string, unknown>;
    mutate(payload);
    expect(reasonOf(payload)).toBe('schema_violation');
  });

  it.each([
    ['SoC over 100', { socPct: 100.1 }],
    ['SoC below 0', { socPct: -1 }],
    ['negative odometer', { odometerKm: -0.1 }],
    ['speed over 300', { speedKph: 301 }],
    ['negative speed', { speedKph: -5 }],
    ['negative seq (every range bound is a physical one)', { seq: -1 }],
    ['heading over 360', { headingDeg: 361 }],
    ['latitude over 90', { position: { lat: 91, lon: 0 } }],
    ['battery too hot', { battery: { tempC: 120, voltageV: 400, currentA: 0 } }],
    ['12 V battery at 30 V', { aux12vV: 30 }],
    ['tyre at 900 kPa', { tyresKpa: { fl: 240, fr: 240, rl: 900, rr: 240 } }],
  ])('%s → impossible_value', (_name, overrides) => {
    expect(reasonOf(vehicleTelemetryFixture(overrides))).toBe('impossible_value');
  });

  it('reports the offending path in the detail', () => {
    const verdict = validateVehicleTelemetry(vehicleTelemetryFixture({ socPct: 140 }));
    expect(verdict).toMatchObject({ ok: false, reason: 'impossible_value' });
    expect(!verdict.ok && verdict.detail).toContain('/socPct');
  });

  it('a type error wins over a range error in the same payload', () => {
    const payload = { ...vehicleTelemetryFixture({ socPct: 140 }), speedKph: 'fast' };
    expect(reasonOf(payload)).toBe('schema_violation');
  });

  it('an unknown schema version → unsupported_version', () => {
    expect(reasonOf({ ...vehicleTelemetryFixture(), v: 2 })).toBe('unsupported_version');
  });

  it.each([null, [], 'text', 42])('a non-object %j → schema_violation', (value) => {
    expect(reasonOf(value)).toBe('schema_violation');
  });
});

describe('checkOdometer', () => {
  const at = (km: number, t: number) => ({ km, at: t });

  it('accepts the first reading and later readings that stay or grow, keeping the newest', () => {
    expect(checkOdometer(undefined, at(10, 1))).toEqual({ ok: true, value: at(10, 1) });
    expect(checkOdometer(at(10, 1), at(10, 2))).toEqual({ ok: true, value: at(10, 2) });
    expect(checkOdometer(at(10, 1), at(10.1, 2))).toEqual({ ok: true, value: at(10.1, 2) });
  });

  it('refuses a later reading lower than the newest → odometer_backwards', () => {
    const verdict = checkOdometer(at(12_345.6, 1), at(12_000, 2));
    expect(verdict).toMatchObject({ ok: false, reason: 'odometer_backwards' });
    expect(!verdict.ok && verdict.detail).toContain('12345.6');
  });

  it('lets a reading that arrives after newer ones pass, and keeps the newest', () => {
    expect(checkOdometer(at(20, 10), at(19, 5))).toEqual({ ok: true, value: at(20, 10) });
  });
});
