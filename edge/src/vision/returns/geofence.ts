/**
 * Return areas of a site (where a car may be parked at the end of a trip) and the pure geometry
 * to test a position against them. Sites are small (metres to a few km), so the polygon test
 * runs on a local planar projection around the point; distances use the haversine formula.
 */

export interface GeoPoint {
  lat: number;
  lon: number;
}

export type ReturnArea =
  | { id: string; kind: 'circle'; center: GeoPoint; radiusM: number }
  | { id: string; kind: 'polygon'; points: readonly GeoPoint[] };

const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres. */
export function haversineM(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function isInsideReturnArea(point: GeoPoint, area: ReturnArea): boolean {
  if (area.kind === 'circle') return haversineM(point, area.center) <= area.radiusM;
  return isInsidePolygon(point, area.points);
}

/** The first area that contains the point, or undefined when the car is parked outside all of them. */
export function findReturnArea(point: GeoPoint, areas: readonly ReturnArea[]): ReturnArea | undefined {
  return areas.find((area) => isInsideReturnArea(point, area));
}

/**
 * Ray casting on an equirectangular projection centred on the point (x east, y north, metres).
 * A polygon with fewer than 3 vertices contains nothing. Points exactly on an edge may fall on
 * either side, which is fine for parking areas drawn with a margin.
 */
function isInsidePolygon(point: GeoPoint, polygon: readonly GeoPoint[]): boolean {
  if (polygon.length < 3) return false;
  const cosLat = Math.cos((point.lat * Math.PI) / 180);
  const project = (p: GeoPoint): [number, number] => [wrapLon(p.lon - point.lon) * cosLat, p.lat - point.lat];
  let inside = false;
  let [xj, yj] = project(polygon[polygon.length - 1] as GeoPoint);
  for (const vertex of polygon) {
    const [xi, yi] = project(vertex);
    // Edge crosses the horizontal ray from the origin towards +x.
    if ((yi > 0) !== (yj > 0) && 0 < ((xj - xi) * (0 - yi)) / (yj - yi) + xi) inside = !inside;
    xj = xi;
    yj = yi;
  }
  return inside;
}

function wrapLon(dLon: number): number {
  return ((((dLon + 180) % 360) + 360) % 360) - 180;
}
