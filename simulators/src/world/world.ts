/**
 * The simulated fleet as one value: the city, every vehicle and charger, and each device's own
 * random stream. `stepWorld` advances it in steps of at most a second, couples vehicles and
 * chargers (plug-in, energy delivered, unplug) and returns what every device emitted.
 */
import type { ChargerState } from '../chargers/charger.js';
import { createChargerState } from '../chargers/charger.js';
import type { PluggedVehicle } from '../chargers/charger-step.js';
import { plugVehicle, stepCharger } from '../chargers/charger-step.js';
import type { City, CityOptions } from '../city/city.js';
import { createCity } from '../city/city.js';
import { SimulatorError } from '../errors.js';
import { createRandom, randomFor } from '../random/random.js';
import { ambientC, packVoltageV } from '../vehicles/physics.js';
import type { VehicleState } from '../vehicles/vehicle.js';
import { createVehicleState, socPct } from '../vehicles/vehicle.js';
import { nextStepDue, plugIn, stepVehicle, unplug } from '../vehicles/vehicle-step.js';
import { bookingRateAt, surgingSiteAt } from './demand-surge.js';
import type { DeviceEmission } from './framing.js';
import type { WorldSettings } from './settings.js';

export interface WorldState {
  time: number;
  city: City;
  settings: WorldSettings;
  vehicles: VehicleState[];
  chargers: ChargerState[];
  /** Each device's random stream, saved between steps (see Random.state). */
  rngStates: Record<string, number>;
}

export interface WorldOptions {
  seed: number;
  /** Simulated start time, ms since the Unix epoch. */
  startTime: number;
  vehicles: number;
  chargers: number;
  city?: Omit<CityOptions, 'seed'>;
  settings: WorldSettings;
}

const MAX_STEP_MS = 1_000;
/** A parked vehicle changes slowly: stepping it every 10 s instead of every second saves most of the work. */
const PARKED_STEP_MS = 10_000;

export function vehicleId(n: number): string {
  return `VH-${String(n).padStart(4, '0')}`;
}

export function chargerId(n: number): string {
  return `CH-${String(n).padStart(4, '0')}`;
}

export function createWorld(options: WorldOptions): WorldState {
  const city = createCity({ ...options.city, seed: options.seed });
  const surge = options.settings.demandSurge;
  if (surge !== null && !city.sites.some((site) => site.id === surge.siteId)) {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `demandSurge.siteId ${surge.siteId} is not a site of the city (${city.sites.map((s) => s.id).join(', ')})`);
  }
  const rngStates: Record<string, number> = {};
  const chargers = Array.from({ length: options.chargers }, (_, i) => {
    const id = chargerId(i + 1);
    const rng = randomFor(options.seed, id);
    // Round-robin over sites so every site gets chargers before any gets a second one.
    const site = city.sites[i % city.sites.length] as City['sites'][number];
    const state = createChargerState({ id, siteId: site.id, time: options.startTime }, rng);
    rngStates[id] = rng.state();
    return state;
  });
  const vehicles = Array.from({ length: options.vehicles }, (_, i) => {
    const id = vehicleId(i + 1);
    const rng = randomFor(options.seed, id);
    const site = rng.pick(city.sites);
    const state = createVehicleState({ id, site, time: options.startTime, degradation: { scale: options.settings.degradationScale } }, rng);
    rngStates[id] = rng.state();
    return state;
  });
  return { time: options.startTime, city, settings: options.settings, vehicles, chargers, rngStates };
}

export interface WorldStep {
  world: WorldState;
  emissions: DeviceEmission[];
}

export function stepWorld(world: WorldState, dtMs: number): WorldStep {
  const emissions: DeviceEmission[] = [];
  let current = world;
  for (let done = 0; done < dtMs; done += MAX_STEP_MS) {
    const step = stepOnce(current, Math.min(MAX_STEP_MS, dtMs - done));
    current = step.world;
    emissions.push(...step.emissions);
  }
  return { world: current, emissions };
}

function stepOnce(world: WorldState, dtMs: number): WorldStep {
  const { settings, time } = world;
  const ambient = ambientC(time, settings.ambientMeanC, settings.ambientSwingC);
  const rngStates = { ...world.rngStates };
  const streamOf = (id: string) => createRandom(rngStates[id] as number);
  const emissions: DeviceEmission[] = [];
  const { vehicles: plugged, chargers: withCables } = plugWaitingVehicles(world, streamOf, rngStates);

  const byId = new Map(plugged.map((v) => [v.id, v]));
  const onCable = new Map<string, PluggedVehicle>();
  for (const v of plugged) {
    if (v.phase.name !== 'charging') continue;
    const soc = socPct(v);
    onCable.set(v.id, { socPct: soc, maxChargeKw: v.maxChargeKw, packVoltageV: packVoltageV(v.battery.nominalV, soc, 0), unplugRequested: v.phase.unplugRequested });
  }
  const inlet = new Map<string, number>();
  const released = new Set<string>();
  const chargers = withCables.map((charger) => {
    const rng = streamOf(charger.id);
    const result = stepCharger(charger, dtMs, rng, { time, ambientC: ambient, faultsPerHour: settings.chargerFaultsPerHour, telemetryIntervalMs: settings.chargerTelemetryIntervalMs, vehicles: onCable });
    rngStates[charger.id] = rng.state();
    for (const d of result.delivered) inlet.set(d.vehicleId, (inlet.get(d.vehicleId) ?? 0) + d.wh);
    for (const id of result.released) released.add(id);
    for (const emission of result.emissions) emissions.push({ device: { kind: 'charger', id: charger.id }, emission });
    return result.state;
  });

  const chargingSiteIds = [...new Set(world.chargers.map((c) => c.siteId))];
  const end = time + dtMs;
  const vehicles = [...byId.values()].map((vehicle) => {
    if (!released.has(vehicle.id) && nextStepDue(vehicle, PARKED_STEP_MS) > end) return vehicle;
    const rng = streamOf(vehicle.id);
    const result = stepVehicle(released.has(vehicle.id) ? unplug(vehicle) : vehicle, end - vehicle.steppedUntil, rng, {
      city: world.city,
      time: vehicle.steppedUntil,
      ambientC: ambient,
      bookingsPerHour: bookingRateAt(settings.bookingsPerHour, settings.demandSurge, vehicle.siteId, vehicle.steppedUntil),
      surgeSiteId: surgingSiteAt(settings.demandSurge, vehicle.steppedUntil),
      minBookableSocPct: settings.minBookableSocPct,
      telemetryIntervalMs: settings.telemetryIntervalMs,
      parkedTelemetryIntervalMs: settings.parkedTelemetryIntervalMs,
      inletWh: inlet.get(vehicle.id) ?? 0,
      chargeEfficiency: settings.chargeEfficiency,
      chargingSiteIds,
    });
    rngStates[vehicle.id] = rng.state();
    for (const emission of result.emissions) emissions.push({ device: { kind: 'vehicle', id: vehicle.id }, emission });
    return result.state;
  });
  return { world: { ...world, time: end, vehicles, chargers, rngStates }, emissions };
}

/** Idle vehicles below the charging threshold take a free connector at their site, in id order. */
function plugWaitingVehicles(
  world: WorldState,
  streamOf: (id: string) => ReturnType<typeof createRandom>,
  rngStates: Record<string, number>,
): { vehicles: VehicleState[]; chargers: ChargerState[] } {
  let chargers = world.chargers;
  const vehicles = world.vehicles.map((vehicle) => {
    if (vehicle.phase.name !== 'idle' || socPct(vehicle) >= world.settings.chargeBelowSocPct) return vehicle;
    for (const charger of chargers) {
      if (charger.siteId !== vehicle.siteId) continue;
      const free = charger.connectors.find((c) => c.status === 'Available' && c.vehicleId === null);
      if (!free) continue;
      chargers = chargers.map((c) => (c.id === charger.id ? plugVehicle(c, free.connectorId, vehicle.id, world.time) : c));
      const rng = streamOf(vehicle.id);
      const target = rng.range(world.settings.chargeTargetSocPct[0], world.settings.chargeTargetSocPct[1]);
      rngStates[vehicle.id] = rng.state();
      return plugIn(vehicle, charger.id, free.connectorId, target);
    }
    return vehicle;
  });
  return { vehicles, chargers };
}
