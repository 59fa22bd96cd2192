/**
 * The most recent events, at most `max`, ordered by trusted device time (ties by id).
 *
 * Idempotent by event id, with bounded memory: an id already kept is not added again, and once
 * the list is full an event older than the oldest kept is not added at all — so a re-delivered
 * event is either still here (and found by id) or too old to enter. Arrival order does not
 * matter: a late event is inserted where it belongs in time.
 */
import { isNewer } from './newer-wins.js';
import type { RecentEvent } from './fleet-state.js';

export interface RecentEvents {
  /** False when the event was already kept or is too old to enter. */
  add(event: RecentEvent): boolean;
  /** Newest first, at most `limit`. */
  newest(limit: number): RecentEvent[];
  readonly size: number;
}

const stampOf = (event: RecentEvent) => ({ at: event.occurredAt, id: event.id });

export function createRecentEvents(max: number): RecentEvents {
  /** Oldest first. */
  const kept: RecentEvent[] = [];
  const ids = new Set<string>();

  const insertionIndex = (event: RecentEvent): number => {
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (isNewer(stampOf(kept[middle] as RecentEvent), stampOf(event))) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  return {
    add(event) {
      if (ids.has(event.id)) return false;
      const oldest = kept[0];
      if (kept.length >= max && oldest !== undefined && !isNewer(stampOf(oldest), stampOf(event))) return false;
      kept.splice(insertionIndex(event), 0, event);
      ids.add(event.id);
      if (kept.length > max) ids.delete((kept.shift() as RecentEvent).id);
      return true;
    },
    newest(limit) {
      return kept.slice(Math.max(0, kept.length - limit)).reverse();
    },
    get size() {
      return kept.length;
    },
  };
}
