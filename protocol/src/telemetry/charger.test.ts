import { describe, expect, it } from 'vitest';
import { chargerTelemetryFixture } from '../../test/support/fixtures.js';
import { CHARGER_ERROR_CODES, CHARGER_STATUSES, validateChargerTelemetry } from './charger.js';

const reasonOf = (value: unknown) => {
  const verdict = validateChargerTelemetry(value);
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('validateChargerTelemetry', () => {
  it('accepts the fixture unchanged', () => {
    const payload = chargerTelemetryFixture();
    expect(validateChargerTelemetry(payload)).toEqual({ ok: true, value: payload });
  });

  it('accepts every OCPP status and error code, and a null session', () => {
    expect(CHARGER_STATUSES).toHaveLength(9);
    expect(CHARGER_ERROR_CODES).toHaveLength(16);
    for (const status of CHARGER_STATUSES) expect(reasonOf(chargerTelemetryFixture({ status }))).toBe('ok');
    for (const errorCode of CHARGER_ERROR_CODES) expect(reasonOf(chargerTelemetryFixture({ errorCode }))).toBe('ok');
    expect(reasonOf(chargerTelemetryFixture({ sessionId: null, status: 'Available' }))).toBe('ok');
  });

  it('accepts any subset of the measurements, and a vehicle SoC the charger reports', () => {
    expect(reasonOf({ v: 1, ts: 1, status: 'Available' })).toBe('ok');
    expect(reasonOf({ v: 1, ts: 1, connectorId: 2, energyWh: 10, socPct: 55 })).toBe('ok');
    expect(reasonOf({ v: 1, ts: 1, socPct: 101 })).toBe('impossible_value');
    expect(validateChargerTelemetry({ ...chargerTelemetryFixture(), colour: 'green' })).toMatchObject({ ok: true, value: { ext: { colour: 'green' } } });
  });

  it.each([
    ['unknown status', { status: 'Busy' }],
    ['unknown error code', { errorCode: 'Smoke' }],
    ['empty session id', { sessionId: '' }],
    ['fractional connector', { connectorId: 1.5 }],
    ['string power', { powerKw: '50' }],
    ['missing device time', { ts: undefined }],
    ['bad site id', { siteId: 'site 1' }],
  ])('%s → schema_violation', (_name, overrides) => {
    expect(reasonOf({ ...chargerTelemetryFixture(), ...overrides })).toBe('schema_violation');
  });

  it.each([
    ['connector 0', { connectorId: 0 }],
    ['connector 17', { connectorId: 17 }],
    ['power over 400 kW', { powerKw: 401 }],
    ['negative power', { powerKw: -1 }],
    ['negative energy register', { energyWh: -5 }],
    ['1500 V', { voltageV: 1500 }],
    ['200 °C', { tempC: 200 }],
  ])('%s → impossible_value', (_name, overrides) => {
    expect(reasonOf(chargerTelemetryFixture(overrides))).toBe('impossible_value');
  });

  it('an unknown schema version → unsupported_version', () => {
    expect(reasonOf({ ...chargerTelemetryFixture(), v: 7 })).toBe('unsupported_version');
  });
});
