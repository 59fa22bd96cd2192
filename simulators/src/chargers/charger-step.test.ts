import { createEvent } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../random/random.js';
import type { EventEmission } from '../world/emission.js';
import type { ChargerState } from './charger.js';
import { createChargerState } from './charger.js';
import type { ChargerStepContext, PluggedVehicle } from './charger-step.js';
import { plugVehicle, stepCharger } from './charger-step.js';
import { TAPER_START_PCT, chargingPowerKw } from './power-curve.js';

describe('charging power curve', () => {
  it('holds the limit up to 80 % and tapers to a tenth at 100 %', () => {
    expect(chargingPowerKw(10, 50)).toBe(50);
    expect(chargingPowerKw(TAPER_START_PCT - 0.01, 50)).toBe(50);
    let previous = chargingPowerKw(TAPER_START_PCT, 50);
    for (let soc = 81; soc < 100; soc++) {
      const kw = chargingPowerKw(soc, 50);
      expect(kw).toBeLessThan(previous);
      previous = kw;
    }
    expect(chargingPowerKw(99.999, 50)).toBeCloseTo(5, 1);
    expect(chargingPowerKw(100, 50)).toBe(0);
  });
});

const T0 = Date.UTC(2025, 2, 1, 12);

function ctx(time: number, vehicles: Map<string, PluggedVehicle>, faultsPerHour = 0): ChargerStepContext {
  return { time, ambientC: 10, faultsPerHour, telemetryIntervalMs: 10_000, vehicles };
}

function events(emissions: ReturnType<typeof stepCharger>['emissions']): EventEmission[] {
  return emissions.filter((e): e is EventEmission => e.channel === 'events');
}

describe('charger step', () => {
  it('runs a session through the OCPP states with a monotonic register and valid events', () => {
    const rng = createRandom(5);
    let charger: ChargerState = plugVehicle(createChargerState({ id: 'CH-0001', siteId: 'site-01', time: T0 }, rng), 1, 'VH-0001', T0);
    const vehicles = new Map<string, PluggedVehicle>([['VH-0001', { socPct: 40, maxChargeKw: 100, packVoltageV: 370, unplugRequested: false }]]);
    const statuses: string[] = [];
    const seen: EventEmission[] = [];
    let register = charger.connectors[0]?.energyWh as number;
    let delivered = 0;
    const released: string[] = [];
    for (let t = 0; t < 300; t++) {
      if (t === 200) vehicles.set('VH-0001', { ...(vehicles.get('VH-0001') as PluggedVehicle), unplugRequested: true });
      const result = stepCharger(charger, 1_000, rng, ctx(T0 + t * 1_000, vehicles));
      charger = result.state;
      const connector = charger.connectors[0] as ChargerState['connectors'][number];
      expect(connector.energyWh).toBeGreaterThanOrEqual(register);
      register = connector.energyWh;
      if (statuses.at(-1) !== connector.status) statuses.push(connector.status);
      seen.push(...events(result.emissions));
      delivered += result.delivered.reduce((sum, d) => sum + d.wh, 0);
      released.push(...result.released);
    }
    expect(statuses).toEqual(['Preparing', 'Charging', 'Finishing', 'Available']);
    expect(seen.map((e) => e.type)).toEqual(['ChargingSessionStarted', 'ChargingSessionStopped']);
    expect(released).toEqual(['VH-0001']);
    const started = seen[0]?.data as { meterStartWh: number; sessionId: string };
    const stopped = seen[1]?.data as { meterStopWh: number; energyWh: number; sessionId: string; durationS: number };
    expect(stopped.sessionId).toBe(started.sessionId);
    expect(stopped.energyWh).toBe(stopped.meterStopWh - started.meterStartWh);
    expect(Math.abs(stopped.energyWh - delivered)).toBeLessThanOrEqual(1);
    // Started 15 s after the plug-in (end of step 14), stopped at the end of step 200.
    expect(stopped.durationS).toBe(186);
    for (const e of seen) {
      // createEvent validates the data against the protocol's schema and throws if it is wrong.
      expect(() => createEvent(e.type, { eventId: 'CH-0001:e1:0', source: 'charger:CH-0001', subject: e.subject, data: e.data as never })).not.toThrow();
    }
  });

  it('faults at the configured rate, ends the session and releases the vehicle, then recovers', () => {
    const rng = createRandom(9);
    let charger = plugVehicle(createChargerState({ id: 'CH-0002', siteId: 'site-01', time: T0 }, rng), 1, 'VH-0009', T0);
    charger = { ...charger, connectors: charger.connectors.slice(0, 1) };
    const vehicles = new Map<string, PluggedVehicle>([['VH-0009', { socPct: 50, maxChargeKw: 100, packVoltageV: 370, unplugRequested: false }]]);
    for (let t = 0; t < 20; t++) charger = stepCharger(charger, 1_000, rng, ctx(T0 + t * 1_000, vehicles)).state;
    expect(charger.connectors[0]?.status).toBe('Charging');
    const faulted = stepCharger(charger, 1_000, rng, ctx(T0 + 20_000, vehicles, 1e9));
    const types = events(faulted.emissions).map((e) => e.type);
    expect(types).toEqual(['ChargerFaulted', 'ChargingSessionStopped']);
    expect((events(faulted.emissions)[1]?.data as { reason: string }).reason).toBe('Other');
    expect(faulted.released).toEqual(['VH-0009']);
    const connector = faulted.state.connectors[0];
    expect(connector?.status).toBe('Faulted');
    expect(connector?.errorCode).not.toBe('NoError');
    const later = stepCharger(faulted.state, 1_000, rng, ctx((connector?.faultClearsAt as number) + 1, new Map()));
    expect(later.state.connectors[0]?.status).toBe('Available');
    expect(later.state.connectors[0]?.errorCode).toBe('NoError');
  });
});
