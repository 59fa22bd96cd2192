/**
 * Recurring diagnostic trouble codes: a code that comes back in `episodes` separate episodes
 * within `windowDays` is a pattern worth a workshop visit, even when each episode clears by
 * itself.
 *
 * An episode starts when a reading shows the code and the vehicle's previous reading did not.
 * Only readings at or after the newest one seen decide that: a late reading (a backlog drained
 * after live data) cannot tell what was active around it, so it neither starts nor ends one.
 */
import type { Assessment } from './assessment.js';
import type { PredictionSettings } from './settings.js';
import { DAY_MS } from '@fleetwire/protocol';

export interface CodeHistory {
  /** Start times of the episodes within the window, oldest first (the newest MAX_EPISODES). */
  episodes: number[];
  /** Shown by the newest reading. */
  active: boolean;
  lastSeenAt: number;
}

export interface FaultHistory {
  /** Trusted time of the newest reading seen. */
  latestAt: number;
  codes: Map<string, CodeHistory>;
}

/** Episodes kept per code: enough to tell any sane `episodes` setting, and a flickering code cannot grow memory. */
const MAX_EPISODES = 64;

export function createFaultHistory(): FaultHistory {
  return { latestAt: -Infinity, codes: new Map() };
}

/** Folds one reading's active codes in; returns the codes whose episode count changed. */
export function observeFaults(history: FaultHistory, dtcs: readonly string[], at: number, settings: PredictionSettings['faults']): string[] {
  if (at < history.latestAt) return [];
  history.latestAt = at;
  const changed: string[] = [];
  const shown = new Set(dtcs);
  for (const [code, entry] of history.codes) {
    const before = entry.episodes.length;
    entry.episodes = entry.episodes.filter((start) => start >= at - settings.windowDays * DAY_MS);
    if (!shown.has(code)) entry.active = false;
    if (entry.episodes.length !== before) changed.push(code);
  }
  for (const code of shown) {
    const entry = history.codes.get(code) ?? { episodes: [], active: false, lastSeenAt: at };
    if (!entry.active) {
      entry.episodes = [...entry.episodes, at].slice(-MAX_EPISODES);
      entry.active = true;
      changed.push(code);
    }
    entry.lastSeenAt = at;
    history.codes.set(code, entry);
  }
  forgetBeyondLimit(history, settings.maxCodes);
  return changed;
}

/** Past `maxCodes`, the codes seen least recently go: a vehicle cannot grow memory with odd codes. */
function forgetBeyondLimit(history: FaultHistory, maxCodes: number): void {
  if (history.codes.size <= maxCodes) return;
  const byAge = [...history.codes].sort((a, b) => a[1].lastSeenAt - b[1].lastSeenAt);
  for (const [code] of byAge.slice(0, history.codes.size - maxCodes)) history.codes.delete(code);
}

export function assessFault(history: FaultHistory, code: string, settings: PredictionSettings['faults']): Assessment | undefined {
  const entry = history.codes.get(code);
  if (entry === undefined) return undefined;
  const episodes = entry.episodes.length;
  const recurring = episodes >= settings.episodes;
  return {
    component: `dtc_${code.toLowerCase()}`,
    reason: 'recurring_dtc',
    verdict: recurring ? 'due' : 'clear',
    withinDays: 0,
    // Observed, not predicted: each further episode makes chance less likely.
    confidence: recurring ? 1 - 0.5 ** (episodes - 1) : 0,
    at: history.latestAt,
    evidence: { episodes, windowDays: settings.windowDays },
    dtcs: [code],
  };
}
