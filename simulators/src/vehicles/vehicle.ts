/**
 * A vehicle's state: plain data, stepped by vehicle-step.ts. The battery keeps the true
 * (faded) capacity and the stored energy; SoC is what a BMS reports against the true capacity.
 */
import { HOUR_MS } from '@fleetwire/protocol';
import type { City, Site } from '../city/city.js';
import type { LatLon } from '../city/geo.js';
import { offsetM } from '../city/geo.js';
import type { Route } from '../city/route.js';
import type { Random } from '../random/random.js';
import type { DegradationOptions, DegradationProfile, TyrePosition } from './degradation.js';
import { drawDegradationProfile } from './degradation.js';

export type Tyres = Record<TyrePosition, number>;

export interface Battery {
  nominalCapacityWh: number;
  /** True usable capacity today (ground truth; fades with use and age). */
  capacityWh: number;
  storedWh: number;
  /** Energy ever taken out of the pack, for capacity fade. */
  dischargedWh: number;
  nominalV: number;
  tempC: number;
  /** Present pack current, positive = discharging. */
  currentA: number;
}

export type VehiclePhase =
  | { name: 'idle' }
  | { name: 'booked'; bookingId: string; tripId: string; unlockAt: number }
  | { name: 'unlocked'; bookingId: string; tripId: string; departAt: number }
  | {
      name: 'driving';
      bookingId: string;
      tripId: string;
      route: Route;
      destinationSiteId: string;
      legIndex: number;
      legProgressM: number;
      /** Stopped at a red light until this time. */
      holdUntil: number;
      startedAt: number;
      distanceM: number;
      energyWh: number;
    }
  | { name: 'charging'; chargerId: string; connectorId: number; targetSocPct: number; unplugRequested: boolean };

export interface DtcOccurrence {
  code: string;
  startedAt: number;
  clearedAt: number | null;
  /** When a transient fault clears by itself; null for faults that last while their condition holds. */
  clearsAt: number | null;
}

export interface VehicleState {
  id: string;
  /** The site the vehicle is parked at, or last left. */
  siteId: string;
  position: LatLon;
  headingDeg: number;
  speedMps: number;
  odometerKm: number;
  battery: Battery;
  maxChargeKw: number;
  aux12vRestV: number;
  tyresColdKpa: Tyres;
  tyreWarmth: number;
  locked: boolean;
  ignition: boolean;
  phase: VehiclePhase;
  degradation: DegradationProfile;
  /** When the recurring fault next fires, in driving time accumulated (ms). */
  nextRecurringDtcAfterDrivingMs: number;
  drivingMs: number;
  dtcLog: DtcOccurrence[];
  createdAt: number;
  /** Simulated time the vehicle has been stepped up to (parked vehicles are stepped lazily). */
  steppedUntil: number;
  nextTelemetryAt: number;
  /** Bookings taken so far; numbers booking and trip ids. */
  bookingCount: number;
}

export interface VehicleSpec {
  id: string;
  site: Site;
  time: number;
  degradation?: DegradationOptions;
}

/** Draws a vehicle parked at a site, from its own random stream. */
export function createVehicleState(spec: VehicleSpec, rng: Random): VehicleState {
  const nominalCapacityWh = rng.pick([42_000, 58_000, 64_000, 77_000]);
  const degradation = drawDegradationProfile(rng, spec.degradation);
  const socPct = rng.range(20, 95);
  const coldKpa = rng.range(245, 255);
  return {
    id: spec.id,
    siteId: spec.site.id,
    position: parkingSpot(spec.site, rng),
    headingDeg: rng.range(0, 360),
    speedMps: 0,
    odometerKm: Math.round(rng.range(2_000, 60_000) * 10) / 10,
    battery: {
      nominalCapacityWh,
      capacityWh: nominalCapacityWh,
      storedWh: (nominalCapacityWh * socPct) / 100,
      dischargedWh: 0,
      nominalV: nominalCapacityWh > 60_000 ? 400 : 360,
      tempC: rng.range(12, 20),
      currentA: 0,
    },
    maxChargeKw: nominalCapacityWh > 60_000 ? 150 : 100,
    aux12vRestV: rng.range(12.55, 12.75),
    tyresColdKpa: { fl: coldKpa, fr: coldKpa, rl: coldKpa, rr: coldKpa },
    tyreWarmth: 0,
    locked: true,
    ignition: false,
    phase: { name: 'idle' },
    degradation,
    nextRecurringDtcAfterDrivingMs: degradation.recurringDtc
      ? rng.exponential(degradation.recurringDtc.meanIntervalH * HOUR_MS)
      : Infinity,
    drivingMs: 0,
    dtcLog: [],
    createdAt: spec.time,
    steppedUntil: spec.time,
    nextTelemetryAt: spec.time + rng.range(0, 5_000),
    bookingCount: 0,
  };
}

/** A random spot inside the site's geofence (within 70 % of its radius, so always inside). */
export function parkingSpot(site: Site, rng: Random): LatLon {
  const r = site.radiusM * 0.7 * Math.sqrt(rng.next());
  const angle = rng.range(0, 2 * Math.PI);
  return offsetM(site.centre, r * Math.cos(angle), r * Math.sin(angle));
}

export function socPct(vehicle: VehicleState): number {
  return (vehicle.battery.storedWh / vehicle.battery.capacityWh) * 100;
}

export function activeDtcs(vehicle: VehicleState): string[] {
  return [...new Set(vehicle.dtcLog.filter((d) => d.clearedAt === null).map((d) => d.code))];
}

export function siteById(city: City, id: string): Site {
  const site = city.sites.find((s) => s.id === id);
  if (!site) throw new RangeError(`unknown site ${id}`);
  return site;
}
