/**
 * A synthetic city, the same for the same seed: a street grid around a centre (some blocks
 * merged, so it is not a perfect lattice), streets classed residential / collector / arterial
 * with their speed limits, and sites — parking and return areas with a geofence polygon where
 * vehicles park and chargers stand.
 */
import type { Random } from '../random/random.js';
import { createRandom } from '../random/random.js';
import { SimulatorError } from '../errors.js';
import type { LatLon } from './geo.js';
import { distanceM, offsetM } from './geo.js';

export interface Intersection {
  id: number;
  position: LatLon;
}

export interface Street {
  from: number;
  to: number;
  lengthM: number;
  speedLimitKph: number;
}

export interface Site {
  id: string;
  name: string;
  /** Where the site meets the street network. */
  accessNode: number;
  centre: LatLon;
  /** Closed ring (first vertex not repeated) bounding the parking / return area. */
  geofence: LatLon[];
  radiusM: number;
}

export interface City {
  centre: LatLon;
  intersections: Intersection[];
  /** Adjacency: for each intersection, the streets leaving it (streets are two-way). */
  streets: Street[][];
  sites: Site[];
}

export interface CityOptions {
  seed: number;
  /** Centre of the city. Default Berlin Mitte (52.52, 13.405). */
  centre?: LatLon;
  /** Intersections per side of the grid. Default 16. */
  gridSize?: number;
  /** Distance between parallel streets, metres. Default 220. */
  blockM?: number;
  /** Number of parking / return sites. Default 4. */
  sites?: number;
}

const SPEED_LIMITS_KPH = { residential: 30, collector: 50, arterial: 60 } as const;

export function createCity(options: CityOptions): City {
  const centre = options.centre ?? { lat: 52.52, lon: 13.405 };
  const gridSize = options.gridSize ?? 16;
  const blockM = options.blockM ?? 220;
  const siteCount = options.sites ?? 4;
  if (!Number.isInteger(gridSize) || gridSize < 3) throw invalid(`gridSize must be an integer ≥ 3, got ${gridSize}`);
  if (!(blockM > 20)) throw invalid(`blockM must be > 20, got ${blockM}`);
  if (!Number.isInteger(siteCount) || siteCount < 1 || siteCount > gridSize * gridSize) {
    throw invalid(`sites must be between 1 and ${gridSize * gridSize}, got ${siteCount}`);
  }
  const rng = createRandom(options.seed);
  const half = ((gridSize - 1) * blockM) / 2;
  const intersections: Intersection[] = [];
  for (let row = 0; row < gridSize; row++) {
    for (let col = 0; col < gridSize; col++) {
      const jitter = blockM * 0.12;
      const position = offsetM(centre, row * blockM - half + rng.range(-jitter, jitter), col * blockM - half + rng.range(-jitter, jitter));
      intersections.push({ id: row * gridSize + col, position });
    }
  }
  const streets: Street[][] = intersections.map(() => []);
  const gap = (a: number, b: number): number =>
    distanceM((intersections[a] as Intersection).position, (intersections[b] as Intersection).position);
  const classOf = (line: number): number =>
    line % 4 === 0 ? SPEED_LIMITS_KPH.arterial : line % 2 === 0 ? SPEED_LIMITS_KPH.collector : SPEED_LIMITS_KPH.residential;
  for (let row = 0; row < gridSize; row++) {
    for (let col = 0; col < gridSize; col++) {
      const id = row * gridSize + col;
      if (col + 1 < gridSize) link(streets, id, id + 1, gap(id, id + 1), classOf(row));
      if (row + 1 < gridSize) link(streets, id, id + gridSize, gap(id, id + gridSize), classOf(col));
    }
  }
  mergeBlocks(rng, streets);
  return { centre, intersections, streets, sites: placeSites(rng, intersections, gridSize, siteCount) };
}

function link(streets: Street[][], a: number, b: number, lengthM: number, speedLimitKph: number): void {
  (streets[a] as Street[]).push({ from: a, to: b, lengthM, speedLimitKph });
  (streets[b] as Street[]).push({ from: b, to: a, lengthM, speedLimitKph });
}

/** Drops a few residential links (merged blocks) where the city stays connected without them. */
function mergeBlocks(rng: Random, streets: Street[][]): void {
  for (const from of streets.keys()) {
    for (const street of [...(streets[from] as Street[])]) {
      if (street.from > street.to || street.speedLimitKph !== SPEED_LIMITS_KPH.residential || !rng.chance(0.1)) continue;
      unlink(streets, street.from, street.to);
      if (!reachable(streets, street.from, street.to)) link(streets, street.from, street.to, street.lengthM, street.speedLimitKph);
    }
  }
}

function unlink(streets: Street[][], a: number, b: number): void {
  streets[a] = (streets[a] as Street[]).filter((s) => s.to !== b);
  streets[b] = (streets[b] as Street[]).filter((s) => s.to !== a);
}

function reachable(streets: Street[][], from: number, to: number): boolean {
  const seen = new Set([from]);
  const queue = [from];
  for (let node = queue.pop(); node !== undefined; node = queue.pop()) {
    if (node === to) return true;
    for (const street of streets[node] as Street[]) {
      if (!seen.has(street.to)) {
        seen.add(street.to);
        queue.push(street.to);
      }
    }
  }
  return false;
}

function placeSites(rng: Random, intersections: Intersection[], gridSize: number, count: number): Site[] {
  const taken = new Set<number>();
  const sites: Site[] = [];
  while (sites.length < count) {
    // Keep sites off the outer ring when the grid allows, so every site has streets on all sides.
    const inner = gridSize > 4;
    const row = inner ? rng.int(1, gridSize - 2) : rng.int(0, gridSize - 1);
    const col = inner ? rng.int(1, gridSize - 2) : rng.int(0, gridSize - 1);
    const accessNode = row * gridSize + col;
    if (taken.has(accessNode) && taken.size < intersections.length) continue;
    taken.add(accessNode);
    const index = sites.length + 1;
    const radiusM = rng.range(35, 60);
    const centre = offsetM((intersections[accessNode] as Intersection).position, rng.range(-25, 25), rng.range(-25, 25));
    const geofence = Array.from({ length: 6 }, (_, k) => {
      const angle = (k / 6) * 2 * Math.PI;
      return offsetM(centre, radiusM * Math.cos(angle), radiusM * Math.sin(angle));
    });
    sites.push({ id: `site-${String(index).padStart(2, '0')}`, name: `Return area ${index}`, accessNode, centre, geofence, radiusM });
  }
  return sites;
}

function invalid(message: string): SimulatorError {
  return new SimulatorError('FW_SIM_OPTIONS_INVALID', message);
}
