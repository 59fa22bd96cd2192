/**
 * Kinematics along a route: accelerate toward the street's speed limit, brake ahead of corners
 * and the destination, stop at some red lights. Position and heading follow the street legs.
 */
import type { LatLon } from '../city/geo.js';
import { bearingDeg, interpolate } from '../city/geo.js';
import type { Leg, Route } from '../city/route.js';
import type { Random } from '../random/random.js';

export interface RouteProgress {
  legIndex: number;
  legProgressM: number;
  holdUntil: number;
}

export interface DriveStep extends RouteProgress {
  speedMps: number;
  position: LatLon;
  headingDeg: number;
  movedM: number;
  arrived: boolean;
}

const ACCELERATION_MPS2 = 1.8;
const BRAKING_MPS2 = 2.8;
const CORNER_SPEED_MPS = 4.5;
const RED_LIGHT_CHANCE = 0.2;

/** Advances one small step (dtS ≤ ~1 s). */
export function driveStep(route: Route, progress: RouteProgress, speedMps: number, time: number, dtS: number, rng: Random): DriveStep {
  let { legIndex, legProgressM, holdUntil } = progress;
  let leg = route.legs[legIndex] as Leg;
  const at = (): Pick<DriveStep, 'position' | 'headingDeg'> => ({
    position: interpolate(leg.from, leg.to, Math.min(1, legProgressM / leg.lengthM)),
    headingDeg: bearingDeg(leg.from, leg.to),
  });
  if (time < holdUntil) return { legIndex, legProgressM, holdUntil, speedMps: 0, movedM: 0, arrived: false, ...at() };

  const next = route.legs[legIndex + 1];
  const endSpeed = next ? cornerSpeedMps(leg, next) : 0;
  const remainingM = leg.lengthM - legProgressM;
  const brakingM = (speedMps * speedMps - endSpeed * endSpeed) / (2 * BRAKING_MPS2);
  let v: number;
  if (remainingM <= brakingM + speedMps * dtS) {
    // Creep rather than stall short of the end of the leg.
    v = Math.max(endSpeed, speedMps - BRAKING_MPS2 * dtS, Math.min(2, remainingM / dtS));
  } else {
    v = Math.min(leg.speedLimitKph / 3.6, speedMps + ACCELERATION_MPS2 * dtS);
  }
  const movedM = v * dtS;
  legProgressM += movedM;
  while (legProgressM >= leg.lengthM) {
    const following = route.legs[legIndex + 1];
    if (!following) {
      legProgressM = leg.lengthM;
      return { legIndex, legProgressM, holdUntil, speedMps: 0, movedM, arrived: true, ...at() };
    }
    legProgressM -= leg.lengthM;
    legIndex += 1;
    leg = following;
    if (rng.chance(RED_LIGHT_CHANCE)) {
      holdUntil = time + rng.range(8_000, 40_000);
      legProgressM = 0;
      v = 0;
    }
  }
  return { legIndex, legProgressM, holdUntil, speedMps: v, movedM, arrived: false, ...at() };
}

/** Speed to slow to before the next leg: walking pace into a turn, the lower limit when straight on. */
function cornerSpeedMps(leg: Leg, next: Leg): number {
  const turn = Math.abs(((bearingDeg(next.from, next.to) - bearingDeg(leg.from, leg.to) + 540) % 360) - 180);
  return turn > 30 ? CORNER_SPEED_MPS : Math.min(leg.speedLimitKph, next.speedLimitKph) / 3.6;
}
