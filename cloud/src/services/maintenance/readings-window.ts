/**
 * A vehicle's recent readings of one quantity, kept in time order and bounded twice: at most
 * `maxPoints`, none older than `maxAgeMs` before the newest. Memory per vehicle is therefore
 * fixed whatever the fleet sends, and old behaviour (a tyre since re-inflated) ages out.
 *
 * Points closer than `maxAgeMs / maxPoints` to a held one are not kept: the window covers its
 * whole age evenly instead of filling with the last hour of 30-second readings. The same reading
 * delivered twice therefore never weighs twice either (its time is already held).
 */
import type { Point } from './trend.js';

export interface WindowLimits {
  maxPoints: number;
  maxAgeMs: number;
}

/** Adds the point in time order; false when it was too close to a held one to be kept. */
export function addPoint(points: Point[], point: Point, limits: WindowLimits): boolean {
  const spacing = limits.maxAgeMs / limits.maxPoints;
  let index = points.length;
  while (index > 0 && (points[index - 1] as Point).at > point.at) index -= 1;
  const before = points[index - 1];
  const after = points[index];
  if (before !== undefined && point.at - before.at < Math.max(spacing, 1)) return false;
  if (after !== undefined && after.at - point.at < Math.max(spacing, 1)) return false;
  points.splice(index, 0, point);
  const newest = (points[points.length - 1] as Point).at;
  let drop = Math.max(0, points.length - limits.maxPoints);
  while (drop < points.length && (points[drop] as Point).at < newest - limits.maxAgeMs) drop += 1;
  if (drop > 0) points.splice(0, drop);
  return true;
}
