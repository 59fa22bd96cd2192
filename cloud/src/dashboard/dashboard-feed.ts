/**
 * What the dashboard keeps beside the fleet state, fed by the fleet service's applied records
 * (so it never lags the state the lists are read from): the in-memory vehicle history (only when
 * no time-series DB answers history), the demand spikes per site, and the live hub that tells
 * open pages what changed.
 */
import type { FleetRecord } from '@fleetwire/protocol';
import { createDemandSpikes, type DemandSpikes } from './demand-spikes.js';
import { historyPointOf } from './history-point.js';
import { createHistoryWindow, type HistoryWindow } from './history-window.js';
import { createLiveHub, liveUpdateOf, type LiveHub } from './live-feed.js';

export interface DashboardFeed {
  /** Absent when history comes from the time-series DB. */
  history?: HistoryWindow;
  spikes: DemandSpikes;
  live: LiveHub;
  apply(records: readonly FleetRecord[]): void;
}

export function createDashboardFeed(options: { historyPointsPerVehicle: number; spikesPerSite: number; keepHistory: boolean }): DashboardFeed {
  const history = options.keepHistory ? createHistoryWindow(options.historyPointsPerVehicle) : undefined;
  const spikes = createDemandSpikes(options.spikesPerSite);
  const live = createLiveHub();
  return {
    ...(history === undefined ? {} : { history }),
    spikes,
    live,
    apply(records) {
      for (const record of records) {
        if (record.kind === 'vehicle_telemetry' && history !== undefined) {
          const point = historyPointOf(record);
          if (point !== undefined) history.add(record.source.id, point);
        } else if (record.kind === 'event' && record.payload.type === 'DemandSpike') {
          spikes.add(record.id, record.payload.data);
        }
      }
      if (live.listeners > 0) live.publish(liveUpdateOf(records));
    },
  };
}
