import { describe, expect, it } from 'vitest';
import { createRandom } from '../random/random.js';
import { parkingSpot } from '../vehicles/vehicle.js';
import { createCity } from './city.js';
import { distanceM, insidePolygon } from './geo.js';
import { fastestPath, routeThrough } from './route.js';

describe('synthetic city', () => {
  it('is the same for the same seed and centred where asked', () => {
    const centre = { lat: 48.137, lon: 11.575 };
    const a = createCity({ seed: 4, centre });
    expect(createCity({ seed: 4, centre })).toEqual(a);
    expect(createCity({ seed: 5, centre })).not.toEqual(a);
    const lats = a.intersections.map((i) => i.position.lat);
    const mid = (Math.min(...lats) + Math.max(...lats)) / 2;
    expect(Math.abs(mid - centre.lat)).toBeLessThan(0.002);
    expect(a.intersections).toHaveLength(256);
    expect(a.sites).toHaveLength(4);
  });

  it('connects every intersection, even with merged blocks', () => {
    const city = createCity({ seed: 9, gridSize: 10 });
    const links = city.streets.reduce((sum, s) => sum + s.length, 0) / 2;
    expect(links).toBeLessThan(2 * 10 * 9);
    for (let to = 1; to < city.intersections.length; to++) expect(fastestPath(city, 0, to).at(-1)).toBe(to);
  });

  it('routes along streets from a parked spot to another site, leg after leg', () => {
    const city = createCity({ seed: 2 });
    const rng = createRandom(1);
    const [from, to] = city.sites as [(typeof city.sites)[number], (typeof city.sites)[number]];
    const start = parkingSpot(from, rng);
    const end = parkingSpot(to, rng);
    expect(insidePolygon(start, from.geofence)).toBe(true);
    expect(insidePolygon(end, to.geofence)).toBe(true);
    const route = routeThrough(city, start, [from.accessNode, 17, to.accessNode], end);
    expect(route.legs[0]?.from).toEqual(start);
    expect(route.legs.at(-1)?.to).toEqual(end);
    for (let i = 1; i < route.legs.length; i++) expect(route.legs[i]?.from).toEqual(route.legs[i - 1]?.to);
    expect(route.lengthM).toBeGreaterThanOrEqual(distanceM(start, end));
    expect(route.legs.every((leg) => [10, 30, 50, 60].includes(leg.speedLimitKph))).toBe(true);
  });
});
