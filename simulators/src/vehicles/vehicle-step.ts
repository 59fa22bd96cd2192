/**
 * The vehicle's state machine, one pure step at a time:
 * idle → booked (VehicleBooked) → unlocked (VehicleUnlocked) → driving (TripStarted) →
 * back at a site (TripEnded) → idle; an idle vehicle low on charge is plugged in by the world
 * (plugIn) and unplugged once its charger has finished (unplug).
 */
import { HOUR_MS } from '@fleetwire/protocol';
import type { City } from '../city/city.js';
import { routeThrough } from '../city/route.js';
import type { Random } from '../random/random.js';
import type { Emission } from '../world/emission.js';
import { round } from '../world/rounding.js';
import { driveStep } from './driving.js';
import { drivingPowerKw } from './physics.js';
import type { VehiclePhase, VehicleState } from './vehicle.js';
import { parkingSpot, siteById, socPct } from './vehicle.js';
import { vehicleTelemetry } from './vehicle-telemetry.js';
import { applyWear } from './vehicle-wear.js';

export interface VehicleStepContext {
  city: City;
  /** Simulated time at the start of the step. */
  time: number;
  ambientC: number;
  /** Mean bookings per hour of this vehicle while idle (a demand surge at its site included). */
  bookingsPerHour: number;
  /** Below this SoC a vehicle is not offered for booking. */
  minBookableSocPct: number;
  telemetryIntervalMs: number;
  parkedTelemetryIntervalMs: number;
  /** Energy a charger pushed into the vehicle's inlet during this step (0 unless charging). */
  inletWh: number;
  /** Share of inlet energy that reaches the pack. */
  chargeEfficiency: number;
  /** Sites with at least one charger: a vehicle low on charge ends its trip at one of them. */
  chargingSiteIds: readonly string[];
  /** A site in a demand surge now: a trip starting now ends there unless low on charge. */
  surgeSiteId?: string | undefined;
}

export interface VehicleStepResult {
  state: VehicleState;
  emissions: Emission[];
}

const LOW_SOC_FOR_ROUTING_PCT = 45;

export function stepVehicle(vehicle: VehicleState, dtMs: number, rng: Random, ctx: VehicleStepContext): VehicleStepResult {
  const end = ctx.time + dtMs;
  const emissions: Emission[] = [];
  const event = (type: Parameters<typeof vehicleEvent>[1], data: Record<string, unknown>, correlationId: string): void => {
    emissions.push(vehicleEvent(vehicle.id, type, data, correlationId, end));
  };
  // The step's own shallow copy, changed in place: the input is never touched, and one copy
  // per step (instead of one per change) keeps a thousand-vehicle fleet cheap to step.
  const state: VehicleState = { ...vehicle };
  let drawnWh = 0;
  let driving = false;
  const phase = vehicle.phase;
  switch (phase.name) {
    case 'idle': {
      // A vehicle stranded low at a site without chargers is still offered: its trip ends at a charging site.
      const bookable = socPct(vehicle) >= ctx.minBookableSocPct || !ctx.chargingSiteIds.includes(vehicle.siteId);
      if (bookable && rng.chance(1 - Math.exp((-ctx.bookingsPerHour * dtMs) / HOUR_MS))) {
        const n = vehicle.bookingCount + 1;
        const bookingId = `bk-${vehicle.id}-${n}`;
        const unlockAt = end + Math.max(30_000, rng.exponential(180_000));
        Object.assign(state, { bookingCount: n, phase: { name: 'booked', bookingId, tripId: `tr-${vehicle.id}-${n}`, unlockAt } });
        const customerRef = `cu-${rng.int(1, 9999)}`;
        const startsAt = new Date(unlockAt).toISOString();
        const endsAt = new Date(unlockAt + rng.range(1, 4) * HOUR_MS).toISOString();
        event('VehicleBooked', { bookingId, vehicleId: vehicle.id, customerRef, startsAt, endsAt, siteId: vehicle.siteId }, bookingId);
      }
      break;
    }
    case 'booked':
      if (end >= phase.unlockAt) {
        Object.assign(state, { locked: false, phase: { ...phase, name: 'unlocked', departAt: end + rng.range(20_000, 90_000) } });
        // Unlocked remotely already (an UnlockVehicle command, whose outcome the edge reported): the customer just gets in.
        if (vehicle.locked) event('VehicleUnlocked', { bookingId: phase.bookingId, vehicleId: vehicle.id, method: 'app', position: point(vehicle) }, phase.bookingId);
      }
      break;
    case 'unlocked':
      if (end >= phase.departAt) {
        Object.assign(state, { ignition: true, phase: startTrip(vehicle, phase, ctx, end, rng) });
        event(
          'TripStarted',
          { tripId: phase.tripId, bookingId: phase.bookingId, vehicleId: vehicle.id, startPosition: point(vehicle), odometerKm: round(vehicle.odometerKm, 2), socPct: round(socPct(vehicle), 1) },
          phase.bookingId,
        );
      }
      break;
    case 'driving': {
      driving = true;
      const step = driveStep(phase.route, phase, vehicle.speedMps, ctx.time, dtMs / 1000, rng);
      const kw = drivingPowerKw(step.speedMps * 3.6, ctx.ambientC, vehicle.battery.tempC);
      drawnWh = (kw * dtMs) / 3_600;
      const trip = { ...phase, legIndex: step.legIndex, legProgressM: step.legProgressM, holdUntil: step.holdUntil, distanceM: phase.distanceM + step.movedM, energyWh: phase.energyWh + drawnWh };
      Object.assign(state, { position: step.position, headingDeg: step.headingDeg, speedMps: step.speedMps, odometerKm: vehicle.odometerKm + step.movedM / 1000, phase: trip });
      if (step.arrived) {
        Object.assign(state, { siteId: trip.destinationSiteId, speedMps: 0, locked: true, ignition: false, phase: { name: 'idle' } });
        event(
          'TripEnded',
          {
            tripId: trip.tripId,
            bookingId: trip.bookingId,
            vehicleId: vehicle.id,
            distanceKm: round(trip.distanceM / 1000, 3),
            durationS: Math.round((end - trip.startedAt) / 1000),
            energyUsedKwh: round(trip.energyWh / 1000, 3),
            endPosition: point(state),
            odometerKm: round(state.odometerKm, 2),
            socPct: round(socPct(state), 1),
          },
          trip.bookingId,
        );
      }
      break;
    }
    case 'charging':
      break;
  }
  const chargedWh = ctx.inletWh * ctx.chargeEfficiency;
  applyWear(state, { drawnWh, chargedWh }, driving, end, dtMs, ctx.ambientC, rng);
  if (state.phase.name === 'charging' && socPct(state) >= state.phase.targetSocPct && !state.phase.unplugRequested) {
    state.phase = { ...state.phase, unplugRequested: true };
  }
  state.steppedUntil = end;
  if (end >= state.nextTelemetryAt) {
    emissions.push({ channel: 'telemetry', at: end, body: vehicleTelemetry(state, ctx.ambientC, rng) });
    const moving = state.phase.name === 'driving' || state.phase.name === 'charging';
    state.nextTelemetryAt = end + (moving ? ctx.telemetryIntervalMs : ctx.parkedTelemetryIntervalMs);
  }
  return { state, emissions };
}

function startTrip(vehicle: VehicleState, phase: Extract<VehiclePhase, { name: 'unlocked' }>, ctx: VehicleStepContext, time: number, rng: Random): VehiclePhase {
  const lowOnCharge = socPct(vehicle) < LOW_SOC_FOR_ROUTING_PCT && ctx.chargingSiteIds.length > 0;
  const destinationSiteId = lowOnCharge ? rng.pick(ctx.chargingSiteIds) : (ctx.surgeSiteId ?? rng.pick(ctx.city.sites).id);
  const destination = siteById(ctx.city, destinationSiteId);
  const waypoint = rng.int(0, ctx.city.intersections.length - 1);
  const from = siteById(ctx.city, vehicle.siteId);
  const route = routeThrough(ctx.city, vehicle.position, [from.accessNode, waypoint, destination.accessNode], parkingSpot(destination, rng));
  return {
    name: 'driving',
    bookingId: phase.bookingId,
    tripId: phase.tripId,
    route,
    destinationSiteId,
    legIndex: 0,
    legProgressM: 0,
    holdUntil: 0,
    startedAt: time,
    distanceM: 0,
    energyWh: 0,
  };
}

/** Plugs an idle vehicle into a charger's connector; it asks to be unplugged at the target SoC. */
/**
 * When a vehicle must next be stepped for its own sake: every step while driving or charging;
 * parked, at its next deadline (telemetry, unlock, departure) or after `lazyMs` at the latest.
 */
export function nextStepDue(vehicle: VehicleState, lazyMs: number): number {
  const phase = vehicle.phase;
  if (phase.name === 'driving' || phase.name === 'charging') return vehicle.steppedUntil;
  const deadline = phase.name === 'booked' ? phase.unlockAt : phase.name === 'unlocked' ? phase.departAt : Infinity;
  return Math.min(vehicle.steppedUntil + lazyMs, vehicle.nextTelemetryAt, deadline);
}

export function plugIn(vehicle: VehicleState, chargerId: string, connectorId: number, targetSocPct: number): VehicleState {
  return { ...vehicle, phase: { name: 'charging', chargerId, connectorId, targetSocPct, unplugRequested: false } };
}

export function unplug(vehicle: VehicleState): VehicleState {
  return { ...vehicle, phase: { name: 'idle' } };
}

function point(vehicle: VehicleState): { lat: number; lon: number } {
  return { lat: round(vehicle.position.lat, 6), lon: round(vehicle.position.lon, 6) };
}

function vehicleEvent(vehicleId: string, type: 'VehicleBooked' | 'VehicleUnlocked' | 'TripStarted' | 'TripEnded', data: Record<string, unknown>, correlationId: string, at: number): Emission {
  return { channel: 'events', at, type, subject: { kind: 'vehicle', id: vehicleId }, correlationId, data };
}
