import { describe, expect, it } from 'vitest';
import type { ChargerState } from '../chargers/charger.js';
import type { VehicleState } from '../vehicles/vehicle.js';
import { socPct } from '../vehicles/vehicle.js';
import type { EventEmission } from './emission.js';
import { resolveWorldSettings } from './settings.js';
import { createWorld, stepWorld, type WorldState } from './world.js';

const START = Date.UTC(2025, 0, 15, 9);

/** One vehicle parked low at a site with one 50 kW DC connector, no bookings, no faults. */
function lowVehicleAtCharger(): WorldState {
  const world = createWorld({
    seed: 3,
    startTime: START,
    vehicles: 1,
    chargers: 1,
    settings: resolveWorldSettings({ bookingsPerHour: 0, chargerFaultsPerHour: 0, chargeBelowSocPct: 40, chargeTargetSocPct: [95, 95] }),
  });
  const charger = world.chargers[0] as ChargerState;
  const vehicle = world.vehicles[0] as VehicleState;
  const dc: ChargerState = { ...charger, connectors: [{ ...(charger.connectors[0] as ChargerState['connectors'][number]), supply: 'DC', maxPowerKw: 50 }] };
  const low: VehicleState = { ...vehicle, siteId: charger.siteId, battery: { ...vehicle.battery, storedWh: vehicle.battery.capacityWh * 0.3 } };
  return { ...world, chargers: [dc], vehicles: [low] };
}

describe('world: vehicles and chargers together', () => {
  it('charges a vehicle by the energy its charger meters, tapering above 80 % SoC', () => {
    let world = lowVehicleAtCharger();
    const storedBefore = (world.vehicles[0] as VehicleState).battery.storedWh;
    const registerBefore = (world.chargers[0] as ChargerState).connectors[0]?.energyWh as number;
    const events: EventEmission[] = [];
    const curve: Array<{ soc: number; kw: number }> = [];
    for (let s = 0; s < 4 * 3600 && !events.some((e) => e.type === 'ChargingSessionStopped'); s += 10) {
      const step = stepWorld(world, 10_000);
      world = step.world;
      for (const { emission } of step.emissions) if (emission.channel === 'events') events.push(emission);
      const connector = (world.chargers[0] as ChargerState).connectors[0];
      if (connector?.status === 'Charging') curve.push({ soc: socPct(world.vehicles[0] as VehicleState), kw: connector.powerKw });
    }
    expect(events.map((e) => e.type)).toEqual(['ChargingSessionStarted', 'ChargingSessionStopped']);
    const stopped = events[1]?.data as { energyWh: number; meterStopWh: number; reason: string; vehicleId: string };
    expect(stopped.reason).toBe('EVDisconnected');
    expect(stopped.vehicleId).toBe('VH-0001');

    const vehicle = world.vehicles[0] as VehicleState;
    const metered = ((world.chargers[0] as ChargerState).connectors[0]?.energyWh as number) - registerBefore;
    const gained = vehicle.battery.storedWh - storedBefore;
    expect(socPct(vehicle)).toBeGreaterThanOrEqual(95);
    // The pack gains what the meter counted times the charging efficiency.
    expect(gained / metered).toBeCloseTo(0.92, 3);
    expect(Math.abs(stopped.energyWh - metered)).toBeLessThanOrEqual(1);

    const below = curve.filter((p) => p.soc < 79);
    const above = curve.filter((p) => p.soc > 81);
    expect(below.length).toBeGreaterThan(10);
    expect(above.length).toBeGreaterThan(10);
    expect(new Set(below.map((p) => p.kw))).toEqual(new Set([50]));
    for (let i = 1; i < above.length; i++) expect((above[i] as { kw: number }).kw).toBeLessThan((above[i - 1] as { kw: number }).kw);
    // Unplugged after Finishing: idle again and the connector free.
    for (let s = 0; s < 60; s += 10) world = stepWorld(world, 10_000).world;
    expect((world.vehicles[0] as VehicleState).phase.name).toBe('idle');
    expect((world.chargers[0] as ChargerState).connectors[0]?.status).toBe('Available');
  });

  it('drains the pack monotonically while driving and reports trips consistent with the odometer', () => {
    let world = createWorld({ seed: 11, startTime: START, vehicles: 1, chargers: 0, settings: resolveWorldSettings({ bookingsPerHour: 60 }) });
    const trips: Array<{ data: Record<string, unknown>; odometerBefore: number; storedBefore: number; odometerAfter: number; storedAfter: number }> = [];
    let tripStart: { odometer: number; stored: number } | undefined;
    for (let s = 0; s < 3 * 3600 && trips.length < 2; s++) {
      const before = world.vehicles[0] as VehicleState;
      const step = stepWorld(world, 1_000);
      world = step.world;
      const after = world.vehicles[0] as VehicleState;
      for (const { emission } of step.emissions) {
        if (emission.channel !== 'events') continue;
        if (emission.type === 'TripStarted') tripStart = { odometer: before.odometerKm, stored: before.battery.storedWh };
        if (emission.type === 'TripEnded' && tripStart) {
          trips.push({ data: emission.data, odometerBefore: tripStart.odometer, storedBefore: tripStart.stored, odometerAfter: after.odometerKm, storedAfter: after.battery.storedWh });
        }
      }
      if (before.phase.name === 'driving' && after.phase.name === 'driving') {
        expect(after.battery.storedWh).toBeLessThan(before.battery.storedWh);
        expect(after.odometerKm).toBeGreaterThanOrEqual(before.odometerKm);
        expect(after.speedMps * 3.6).toBeLessThanOrEqual(60.01);
      }
    }
    expect(trips.length).toBe(2);
    for (const trip of trips) {
      const distanceKm = trip.data['distanceKm'] as number;
      expect(distanceKm).toBeGreaterThan(0.3);
      expect(distanceKm).toBeCloseTo(trip.odometerAfter - trip.odometerBefore, 2);
      expect(trip.data['energyUsedKwh'] as number).toBeCloseTo((trip.storedBefore - trip.storedAfter) / 1000, 2);
      // A compact EV in town: roughly 100–250 Wh/km including the auxiliaries.
      const whPerKm = ((trip.data['energyUsedKwh'] as number) * 1000) / distanceKm;
      expect(whPerKm).toBeGreaterThan(100);
      expect(whPerKm).toBeLessThan(250);
    }
  });
});
