/**
 * The vehicle history the dashboard charts when no time-series DB is configured: per vehicle
 * the newest `maxPointsPerVehicle` points, in time order. Memory is bounded by the number of
 * vehicles times that cap, whatever the fleet sends. A re-delivered reading (same time) replaces
 * the point it duplicates instead of adding one, and a late reading is inserted where it belongs
 * (or dropped when older than everything a full window holds).
 */
import type { HistoryPoint } from './history-point.js';

export interface HistoryWindow {
  add(vehicleId: string, point: HistoryPoint): void;
  /** Points with `from <= at <= to`, oldest first. */
  between(vehicleId: string, from: number, to: number): HistoryPoint[];
}

export function createHistoryWindow(maxPointsPerVehicle: number): HistoryWindow {
  const byVehicle = new Map<string, HistoryPoint[]>();
  return {
    add(vehicleId, point) {
      let points = byVehicle.get(vehicleId);
      if (points === undefined) {
        points = [];
        byVehicle.set(vehicleId, points);
      }
      let index = points.length;
      while (index > 0 && (points[index - 1] as HistoryPoint).at > point.at) index -= 1;
      const before = points[index - 1];
      if (before !== undefined && before.at === point.at) {
        points[index - 1] = { ...before, ...point };
        return;
      }
      if (points.length >= maxPointsPerVehicle && index === 0) return;
      points.splice(index, 0, point);
      if (points.length > maxPointsPerVehicle) points.shift();
    },
    between(vehicleId, from, to) {
      return (byVehicle.get(vehicleId) ?? []).filter((p) => p.at >= from && p.at <= to);
    },
  };
}
