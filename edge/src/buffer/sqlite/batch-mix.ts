/**
 * Which queued records make up the next batch — a plain function over candidate rows.
 *
 * Policy: critical events first (oldest first), then alerts, then telemetry. Telemetry room is
 * shared between two queues: *live* records (committed within the live window, newest first)
 * and the *backlog* (everything older, oldest first). Live records get `liveShare` of the
 * telemetry slots, interleaved with the backlog; whichever queue runs dry gives its slots to
 * the other. So after an outage current positions reach the cloud within one batch while the
 * history still drains in insertion order at (1 − liveShare) of the bandwidth, or all of it
 * when nothing live is waiting.
 */
export interface Candidate {
  bytes: number;
}

export interface BatchRoom {
  maxRecords: number;
  maxBytes: number;
}

export interface Candidates<T extends Candidate> {
  critical: readonly T[];
  alert: readonly T[];
  /** Newest first. */
  live: readonly T[];
  /** Oldest first. */
  backlog: readonly T[];
}

export function composeBatch<T extends Candidate>(candidates: Candidates<T>, room: BatchRoom, liveShare: number): T[] {
  const chosen: T[] = [];
  let bytes = 0;
  // The first record always fits, so one record larger than maxBytes cannot block the queue.
  const fits = (row: T): boolean =>
    chosen.length < room.maxRecords && (chosen.length === 0 || bytes + row.bytes <= room.maxBytes);
  const add = (row: T): void => {
    chosen.push(row);
    bytes += row.bytes;
  };
  for (const queue of [candidates.critical, candidates.alert]) {
    for (const row of queue) {
      if (!fits(row)) return chosen;
      add(row);
    }
  }
  let live = 0;
  let backlog = 0;
  let taken = 0;
  for (;;) {
    const liveDue = live < candidates.live.length && (live < liveShare * (taken + 1) || backlog >= candidates.backlog.length);
    const row = liveDue ? candidates.live[live] : candidates.backlog[backlog];
    if (row === undefined || !fits(row)) return chosen;
    add(row);
    taken += 1;
    if (liveDue) live += 1;
    else backlog += 1;
  }
}
