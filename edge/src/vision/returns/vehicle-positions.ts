/**
 * Each vehicle's last reported position, for the parking and GPS checks of a return. Fed by the
 * intake with every committed vehicle telemetry record, so it follows what the buffer holds —
 * but it does not read the buffer: the uplink deletes telemetry as soon as the cloud has it, so
 * a connected edge would find nothing there. Instead positions live in memory and are written
 * to the vision store every `flushIntervalMs` (and on close), and loaded at start: after a
 * restart, or a kill -9 that lost at most one interval, the last positions are still known
 * and the next telemetry message of each vehicle brings its newest one.
 *
 * "Last" is by device time, so a backlog a vehicle sends after a network gap does not move it
 * back to where it was an hour ago. A reading whose clock the edge flagged as skewed counts at
 * its receive time instead (protocol's trustedTime), so a device stamping a year ahead cannot
 * freeze its position.
 */
import { trustedTime, type FleetRecord } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { StoredPosition, VisionStore } from '../store/vision-store.js';
import type { VehiclePosition } from './return-assessment.js';

export interface VehiclePositions {
  /** Called for every committed record; only vehicle telemetry moves a position. */
  observe(record: FleetRecord): void;
  get(vehicleId: string): VehiclePosition | undefined;
  /** Writes positions changed since the last flush. */
  flush(): void;
  /** Flushes and stops the timer. */
  close(): void;
}

export interface VehiclePositionsOptions {
  store: Pick<VisionStore, 'positions' | 'savePositions'>;
  /** Default 2000 ms. */
  flushIntervalMs?: number;
  logger?: Logger;
}

export function createVehiclePositions(options: VehiclePositionsOptions): VehiclePositions {
  const latest = new Map<string, StoredPosition>();
  for (const p of options.store.positions()) latest.set(p.vehicleId, p);
  const changed = new Set<string>();

  const flush = (): void => {
    if (changed.size === 0) return;
    const batch = [...changed].map((id) => latest.get(id) as StoredPosition);
    changed.clear();
    try {
      options.store.savePositions(batch);
    } catch (error) {
      for (const p of batch) changed.add(p.vehicleId);
      options.logger?.error({ event: 'vision_positions_flush_failed', err: error }, 'vision_positions_flush_failed');
    }
  };
  const timer = setInterval(flush, options.flushIntervalMs ?? 2000).unref();

  return {
    observe(record) {
      if (record.kind !== 'vehicle_telemetry' || record.payload.position === undefined) return;
      const vehicleId = record.source.id;
      const known = latest.get(vehicleId);
      const reportedAt = trustedTime(record);
      if (known !== undefined && known.reportedAt > reportedAt) return;
      const { lat, lon } = record.payload.position;
      latest.set(vehicleId, { vehicleId, lat, lon, reportedAt, receivedAt: record.receivedAt });
      changed.add(vehicleId);
    },
    get(vehicleId) {
      const p = latest.get(vehicleId);
      return p === undefined ? undefined : { point: { lat: p.lat, lon: p.lon }, reportedAt: p.reportedAt };
    },
    flush,
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
