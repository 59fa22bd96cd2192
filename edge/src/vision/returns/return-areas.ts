/**
 * The site's return areas, read from the file `vision.returnAreasFile` names:
 *
 *   { "areas": [
 *     { "id": "depot-bays", "kind": "circle", "center": { "lat": 52.52, "lon": 13.405 }, "radiusM": 60 },
 *     { "id": "street-row", "kind": "polygon", "points": [{ "lat": …, "lon": … }, …] } ] }
 *
 * Ids follow the entity id alphabet (they travel as ReturnVerified.geofenceId). Every problem in
 * the file is reported at once (FW_CONFIG_INVALID); read at start, restart to reload.
 */
import { readFileSync } from 'node:fs';
import { isDeviceId } from '@fleetwire/protocol';
import { EdgeError } from '../../errors.js';
import type { GeoPoint, ReturnArea } from './geofence.js';

export function readReturnAreas(file: string): ReturnArea[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new EdgeError('FW_CONFIG_UNREADABLE', `cannot read return areas ${file}`, { cause });
  }
  const problems: string[] = [];
  const areas = parseReturnAreas(parsed, problems);
  if (problems.length > 0) throw new EdgeError('FW_CONFIG_INVALID', `invalid return areas in ${file}:\n  - ${problems.join('\n  - ')}`);
  return areas;
}

export function parseReturnAreas(value: unknown, problems: string[]): ReturnArea[] {
  const list = isObject(value) ? value.areas : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push('areas: must be a non-empty list');
    return [];
  }
  const areas: ReturnArea[] = [];
  const ids = new Set<string>();
  list.forEach((entry: unknown, i) => {
    const area = parseArea(entry, `areas[${i}]`, problems);
    if (area === undefined) return;
    if (ids.has(area.id)) problems.push(`areas[${i}].id: "${area.id}" appears twice`);
    ids.add(area.id);
    areas.push(area);
  });
  return areas;
}

function parseArea(entry: unknown, at: string, problems: string[]): ReturnArea | undefined {
  const fail = (problem: string): undefined => {
    problems.push(`${at}${problem}`);
    return undefined;
  };
  if (!isObject(entry)) return fail(': must be an object');
  const id = entry.id;
  if (!isDeviceId(id)) return fail('.id: must match [A-Za-z0-9_-]{1,64}');
  if (entry.kind === 'circle') {
    const center = point(entry.center, `${at}.center`, problems);
    const radiusM = entry.radiusM;
    if (typeof radiusM !== 'number' || !(radiusM > 0 && radiusM <= 10_000)) return fail('.radiusM: must be a number in (0, 10000]');
    return center && { id, kind: 'circle', center, radiusM };
  }
  if (entry.kind === 'polygon') {
    if (!Array.isArray(entry.points) || entry.points.length < 3) return fail('.points: needs at least 3 points');
    const points = entry.points.map((p: unknown, j) => point(p, `${at}.points[${j}]`, problems));
    return points.every((p): p is GeoPoint => p !== undefined) ? { id, kind: 'polygon', points } : undefined;
  }
  return fail('.kind: must be "circle" or "polygon"');
}

function point(value: unknown, at: string, problems: string[]): GeoPoint | undefined {
  const ok = isObject(value) && typeof value.lat === 'number' && typeof value.lon === 'number'
    && Math.abs(value.lat) <= 90 && Math.abs(value.lon) <= 180;
  if (!ok) {
    problems.push(`${at}: must be { "lat": -90..90, "lon": -180..180 }`);
    return undefined;
  }
  return { lat: value.lat as number, lon: value.lon as number };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
