/**
 * What the dashboard's live stream tells open pages after each batch the fleet state applied:
 * the new chart points per vehicle and the types of the events, so a page redraws what changed
 * (the vehicle it shows, the lists an event touches) without polling. Built as plain data here;
 * the route (dashboard-routes.ts) writes it as a server-sent event.
 */
import type { FleetRecord } from '@fleetwire/protocol';
import { historyPointOf, type HistoryPoint } from './history-point.js';

export interface LiveUpdate {
  /** New chart points, per vehicle id. */
  readings: Record<string, HistoryPoint[]>;
  /** The event types in the batch, each once. */
  events: string[];
  chargers: boolean;
  /** The command log changed (a command accepted, handed out or finished): not a fleet record, told by the command service. */
  commands: boolean;
}

/** What the command service publishes: its log is not fed from the fleet state, whose update may come before the log's. */
export const COMMAND_LOG_CHANGED: LiveUpdate = { readings: {}, events: [], chargers: false, commands: true };

export function liveUpdateOf(records: readonly FleetRecord[]): LiveUpdate {
  const readings: Record<string, HistoryPoint[]> = {};
  const events = new Set<string>();
  let chargers = false;
  for (const record of records) {
    if (record.kind === 'event') events.add(record.payload.type);
    else if (record.kind === 'charger_telemetry') chargers = true;
    else {
      const point = historyPointOf(record);
      if (point !== undefined) (readings[record.source.id] ??= []).push(point);
    }
  }
  return { readings, events: [...events], chargers, commands: false };
}

/** Fans updates out to the open streams; a stream that went away is dropped by its own unsubscribe. */
export interface LiveHub {
  publish(update: LiveUpdate): void;
  subscribe(listener: (update: LiveUpdate) => void): () => void;
  readonly listeners: number;
}

export function createLiveHub(): LiveHub {
  const listeners = new Set<(update: LiveUpdate) => void>();
  return {
    publish(update) {
      for (const listener of listeners) listener(update);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get listeners() {
      return listeners.size;
    },
  };
}
