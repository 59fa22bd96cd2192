/** Fastest routes over the city's streets (Dijkstra on travel time at the speed limit). */
import { SimulatorError } from '../errors.js';
import type { City, Street } from './city.js';
import type { LatLon } from './geo.js';
import { distanceM } from './geo.js';

/** One straight piece of a route, driven at most at its speed limit. */
export interface Leg {
  from: LatLon;
  to: LatLon;
  lengthM: number;
  speedLimitKph: number;
}

export interface Route {
  legs: Leg[];
  lengthM: number;
}

/** Speed limit inside a parking area, between a parked spot and the street. */
const YARD_SPEED_KPH = 10;

export function fastestPath(city: City, from: number, to: number): number[] {
  const count = city.intersections.length;
  const time = new Array<number>(count).fill(Infinity);
  const previous = new Array<number>(count).fill(-1);
  const done = new Array<boolean>(count).fill(false);
  time[from] = 0;
  for (let round = 0; round < count; round++) {
    let node = -1;
    for (let i = 0; i < count; i++) if (!done[i] && (node < 0 || (time[i] as number) < (time[node] as number))) node = i;
    if (node < 0 || time[node] === Infinity || node === to) break;
    done[node] = true;
    for (const street of city.streets[node] as Street[]) {
      const t = (time[node] as number) + street.lengthM / street.speedLimitKph;
      if (t < (time[street.to] as number)) {
        time[street.to] = t;
        previous[street.to] = node;
      }
    }
  }
  if (time[to] === Infinity) throw new SimulatorError('FW_SIM_ROUTE_UNREACHABLE', `no street route from ${from} to ${to}`);
  const path = [to];
  while (path[0] !== from) path.unshift(previous[path[0] as number] as number);
  return path;
}

/**
 * A drivable route from a spot (e.g. a parked position) through the given intersections to
 * another spot: yard legs at each end, streets in between.
 */
export function routeThrough(city: City, start: LatLon, waypoints: readonly number[], end: LatLon): Route {
  const nodes: number[] = [];
  for (let i = 0; i < waypoints.length; i++) {
    const here = waypoints[i] as number;
    if (i === 0) {
      nodes.push(here);
      continue;
    }
    nodes.push(...fastestPath(city, waypoints[i - 1] as number, here).slice(1));
  }
  const legs: Leg[] = [];
  const position = (node: number): LatLon => (city.intersections[node] as { position: LatLon }).position;
  const yard = (from: LatLon, to: LatLon): void => {
    const lengthM = distanceM(from, to);
    if (lengthM > 0.5) legs.push({ from, to, lengthM, speedLimitKph: YARD_SPEED_KPH });
  };
  yard(start, position(nodes[0] as number));
  for (let i = 1; i < nodes.length; i++) {
    const a = nodes[i - 1] as number;
    const b = nodes[i] as number;
    const street = (city.streets[a] as Street[]).find((s) => s.to === b) as Street;
    legs.push({ from: position(a), to: position(b), lengthM: street.lengthM, speedLimitKph: street.speedLimitKph });
  }
  yard(position(nodes[nodes.length - 1] as number), end);
  return { legs, lengthM: legs.reduce((sum, leg) => sum + leg.lengthM, 0) };
}
