/**
 * The one ordering rule of the fleet state: every aspect of a vehicle or charger (its last
 * reading, its trip, its charging session, each alert) remembers the stamp of the record that
 * last changed it, and only a strictly newer record may change it again.
 *
 * - Newer means a later trusted device time (protocol `trustedTime`: the device time, or the
 *   edge's receive time when the edge flagged the device clock as skewed); ties are broken by
 *   record id, so the outcome does not depend on arrival order.
 * - A re-delivered record carries the same stamp, which is not newer than itself: applying it
 *   again changes nothing. A late record (a backlog drained after live data) is older than what
 *   is there and cannot roll the state back.
 */
import { trustedTime, type FleetRecord } from '@fleetwire/protocol';
import type { LastSeen } from './fleet-state.js';

export interface Stamp {
  /** Trusted device time, ms since the Unix epoch. */
  at: number;
  /** The record id (`fw-id`). */
  id: string;
}

export function stampOf(record: FleetRecord): Stamp {
  return { at: trustedTime(record), id: record.id };
}

/** True when `candidate` may replace what `current` stamped; nothing stamped yet is always replaced. */
export function isNewer(current: Stamp | null | undefined, candidate: Stamp): boolean {
  if (current === null || current === undefined) return true;
  if (candidate.at !== current.at) return candidate.at > current.at;
  return candidate.id > current.id;
}

/** The newer of two stamped values (the first when neither is newer, i.e. the same record). */
export function newerOf<T extends { stamp: Stamp }>(current: T | null, candidate: T): T {
  return isNewer(current?.stamp, candidate.stamp) ? candidate : (current as T);
}

/** Latest device and receive time of the records an entity sent itself; a maximum, so replays change nothing. */
export function seenAt(lastSeen: LastSeen | null, stamp: Stamp, receivedAt: number): LastSeen {
  if (lastSeen !== null && lastSeen.deviceTime >= stamp.at && lastSeen.receivedAt >= receivedAt) return lastSeen;
  return {
    deviceTime: Math.max(lastSeen?.deviceTime ?? stamp.at, stamp.at),
    receivedAt: Math.max(lastSeen?.receivedAt ?? receivedAt, receivedAt),
  };
}
