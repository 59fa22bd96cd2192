import { describe, expect, it } from 'vitest';
import { vehicleTelemetryFixture } from '../../test/support/fixtures.js';
import { validateVehicleTelemetry } from './vehicle.js';

const reasonOf = (value: unknown) => {
  const verdict = validateVehicleTelemetry(value);
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('validateVehicleTelemetry', () => {
  it('accepts the fixture and returns it unchanged', () => {
    const payload = vehicleTelemetryFixture();
    expect(validateVehicleTelemetry(payload)).toEqual({ ok: true, value: payload });
  });

  it('accepts any subset of the measurements (sparse, on-change reporting)', () => {
    expect(reasonOf({ v: 1, ts: 1 })).toBe('ok');
    expect(reasonOf({ v: 1, ts: 1, socPct: 40 })).toBe('ok');
    expect(reasonOf({ v: 1, ts: 1, battery: { tempC: 20 }, tyresKpa: { rl: 230 } })).toBe('ok');
    expect(reasonOf({ v: 1, ts: 1, tyresKpa: { rl: 900 } })).toBe('impossible_value');
  });

  it('keeps unknown fields under ext (default), drops them or refuses them by policy', () => {
    const payload = { ...vehicleTelemetryFixture(), colour: 'red', battery: { tempC: 1, voltageV: 1, currentA: 1, x: 1 } };
    expect(validateVehicleTelemetry(payload)).toMatchObject({ ok: true, value: { ext: { colour: 'red', 'battery.x': 1 }, battery: { tempC: 1, voltageV: 1, currentA: 1 } } });
    const dropped = validateVehicleTelemetry(payload, 'drop');
    expect(dropped.ok && dropped.value).not.toHaveProperty('colour');
    expect(dropped.ok && 'ext' in dropped.value).toBe(false);
    expect(validateVehicleTelemetry(payload, 'refuse')).toMatchObject({ ok: false, reason: 'schema_violation', detail: 'unknown fields battery.x, colour' });
  });

  it('keeps a reading that carries only unknown fields: a new sensor reported on change', () => {
    expect(validateVehicleTelemetry({ v: 1, ts: 1, cabinTempC: 21 })).toMatchObject({ ok: true, value: { v: 1, ts: 1, ext: { cabinTempC: 21 } } });
  });

  it('keeps at most 64 extension fields; the rest are dropped', () => {
    const extra = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`f${i}`, i]));
    const verdict = validateVehicleTelemetry({ v: 1, ts: 1, socPct: 5, ...extra });
    expect(verdict.ok && Object.keys(verdict.value.ext ?? {})).toHaveLength(64);
  });

  it('accepts a payload without epoch, seq and deviceId', () => {
    const { epoch: _e, seq: _s, deviceId: _d, ...bare } = vehicleTelemetryFixture();
    expect(reasonOf(bare)).toBe('ok');
  });

  it.each([
    ['missing device time', (p: Record<string, unknown>) => delete p.ts],
    ['wrong type', (p: Record<string, unknown>) => (p.speedKph = '38')],
    ['wrong nested type', (p: Record<string, unknown>) => (p.battery = { tempC: '1' })],
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
