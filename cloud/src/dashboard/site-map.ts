/**
 * The areas the dashboard draws under the vehicle positions, read at start from the file
 * `dashboard.mapFile` names. The format is the edge's return-areas file with two optional
 * fields per area, so the file an edge uses can be given to the cloud as it is:
 *
 *   { "areas": [
 *     { "id": "site-01", "name": "Depot", "role": "site", "kind": "circle", "center": { "lat": 52.52, "lon": 13.405 }, "radiusM": 300 },
 *     { "id": "bays-01", "role": "return", "kind": "polygon", "points": [{ "lat": …, "lon": … }, …] } ] }
 *
 * `role` is `site` (an operating area) or `return` (where a vehicle may be returned; the
 * default, as in the edge's file). Every problem is reported at once (FW_CONFIG_INVALID).
 */
import { readFileSync } from 'node:fs';
import { problemList, schemaProblems } from '@fleetwire/protocol';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { CloudError } from '../errors.js';

const Point = Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, { additionalProperties: false });
const common = {
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  role: Type.Union([Type.Literal('site'), Type.Literal('return')], { default: 'return' }),
};
const AreaSchema = Type.Union([
  Type.Object({ ...common, kind: Type.Literal('circle'), center: Point, radiusM: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }) }, { additionalProperties: false }),
  Type.Object({ ...common, kind: Type.Literal('polygon'), points: Type.Array(Point, { minItems: 3, maxItems: 1000 }) }, { additionalProperties: false }),
]);
export const SiteMapSchema = Type.Object({ areas: Type.Array(AreaSchema, { maxItems: 1000 }) }, { additionalProperties: false });

export type SiteMap = Static<typeof SiteMapSchema>;
export type MapArea = SiteMap['areas'][number];

export const EMPTY_SITE_MAP: SiteMap = { areas: [] };

export function parseSiteMap(input: unknown, what: string): SiteMap {
  const value = Value.Default(SiteMapSchema, structuredClone(input)) as unknown;
  const problems = schemaProblems(SiteMapSchema, value);
  if (problems.length > 0 || !Value.Check(SiteMapSchema, value)) throw new CloudError('FW_CONFIG_INVALID', problemList(what, problems.length > 0 ? problems : ['/: invalid']));
  const seen = new Set<string>();
  const twice = value.areas.filter((area) => seen.size === seen.add(area.id).size).map((area) => `/areas: "${area.id}" appears twice`);
  if (twice.length > 0) throw new CloudError('FW_CONFIG_INVALID', problemList(what, twice));
  return value;
}

export function readSiteMap(file: string): SiteMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new CloudError('FW_CONFIG_INVALID', `cannot read dashboard.mapFile ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseSiteMap(parsed, `dashboard map ${file}`);
}
