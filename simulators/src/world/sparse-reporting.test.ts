import { decodeDeviceMessage } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { createFleetModel } from './fleet-model.js';
import { resolveWorldSettings } from './settings.js';
import { sparseReport } from './sparse-reporting.js';

const vehicle = (overrides: Record<string, unknown> = {}) => ({
  position: { lat: 52.52, lon: 13.405 }, speedKph: 30, headingDeg: 90, odometerKm: 100, socPct: 80,
  battery: { tempC: 20, voltageV: 400, currentA: -20 }, aux12vV: 12.6, tyresKpa: { fl: 240, fr: 240, rl: 240, rr: 240 },
  locked: false, ignition: true, dtcs: [], ...overrides,
});

describe('sparseReport', () => {
  it('first reports everything it has: no tyre or 12 V sensors, plus its firmware field', () => {
    const { body } = sparseReport('vehicle', vehicle());
    expect(body).not.toHaveProperty('tyresKpa');
    expect(body).not.toHaveProperty('aux12vV');
    expect(body).toMatchObject({ socPct: 80, cabinTempC: 17, battery: { tempC: 20, voltageV: 400, currentA: -20 } });
  });

  it('then only what moved past its deadband; nothing at all when nothing did', () => {
    const first = sparseReport('vehicle', vehicle());
    expect(sparseReport('vehicle', vehicle({ socPct: 79.6, speedKph: 31 }), first.last).body).toBeUndefined();
    const second = sparseReport('vehicle', vehicle({ socPct: 79, position: { lat: 52.5203, lon: 13.405 }, battery: { tempC: 20, voltageV: 390, currentA: -20 }, locked: true }), first.last);
    expect(second.body).toEqual({ socPct: 79, position: { lat: 52.5203, lon: 13.405 }, battery: { voltageV: 390 }, locked: true });
  });

  it('a charger always names its connector', () => {
    const connector = { connectorId: 2, status: 'Charging', powerKw: 50, energyWh: 1000, sessionId: 's' };
    const first = sparseReport('charger', connector);
    expect(sparseReport('charger', { ...connector, energyWh: 1200 }, first.last).body).toBeUndefined();
    expect(sparseReport('charger', { ...connector, energyWh: 1600, status: 'Finishing' }, first.last).body).toEqual({ connectorId: 2, energyWh: 1600, status: 'Finishing' });
  });
});

describe('a fleet with sparse devices', () => {
  it('sends fewer, smaller messages that all pass validation with their firmware field kept', () => {
    const model = (sparseShare: number) => createFleetModel({ seed: 5, startTime: Date.UTC(2026, 0, 1), vehicles: 6, chargers: 2, settings: resolveWorldSettings({ sparseShare, bookingsPerHour: 3 }), faults: {} });
    const run = (sparseShare: number) => {
      const fleet = model(sparseShare);
      return Array.from({ length: 360 }, () => fleet.advance(10_000).messages).flat();
    };
    const full = run(0).filter((m) => m.channel === 'telemetry');
    const sparse = run(1).filter((m) => m.channel === 'telemetry');
    expect(sparse.length).toBeLessThan(full.length);
    expect(sparse.reduce((n, m) => n + m.bytes.length, 0)).toBeLessThan(full.reduce((n, m) => n + m.bytes.length, 0) / 2);
    const kept = sparse.map((m) => {
      const verdict = decodeDeviceMessage({ topic: m.topic, bytes: m.bytes, identity: { role: 'device', kind: m.device.kind, deviceId: m.device.id }, receivedAt: m.simTime, maxBytes: 65_536, maxClockSkewMs: 300_000 });
      if (!verdict.ok) throw new Error(`${m.id}: ${verdict.reason} ${verdict.detail}`);
      const [reading] = verdict.value.readings;
      return reading?.ok ? reading.record : undefined;
    });
    expect(kept.every((r) => r !== undefined)).toBe(true);
    expect(kept.some((r) => r?.kind === 'vehicle_telemetry' && r.payload.ext?.['cabinTempC'] !== undefined)).toBe(true);
    expect(kept.some((r) => r?.kind === 'vehicle_telemetry' && r.payload.position === undefined)).toBe(true);
  });
});
