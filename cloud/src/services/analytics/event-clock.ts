/**
 * The analytics service's sense of "now": event time, not the wall clock, so a replay of last
 * week's records closes last week's days as the live run did.
 *
 * The clock is a watermark over the bus partitions it reads: each partition's newest trusted
 * time (protocol `trustedTime`), and the watermark the **oldest** of those. A partition is read
 * in order, but partitions are not read in step — on a replay one partition's batch may span
 * hours of events while another's spans seconds of telemetry — so the newest time of any one
 * partition would declare the others' records late. A partition that has delivered nothing for
 * `idlePartitionMs` (wall clock: it has caught up, or its devices went quiet) stops holding the
 * watermark back; when every partition is idle the watermark is the newest time seen.
 *
 * A day or window [start, end) is **closed** once the watermark has reached `end + lateness`:
 * records stamped inside it that arrive after that are counted as late and left out, so a
 * report, once emitted, is final. Within the allowance a late record counts as if on time.
 *
 * A record stamped more than MAX_CLOCK_LEAD_MS ahead of the service's own clock is refused, so
 * one record cannot drag the clock into the future (the edge already replaces a device time it
 * judges skewed by its receive time; this catches a wrong edge clock).
 */
export const MAX_CLOCK_LEAD_MS = 15 * 60_000;

interface PartitionProgress {
  /** Newest trusted time of a record from the partition, ms; -Infinity while none is known. */
  newest: number;
  /** Wall-clock time the partition's last partial was merged, ms. */
  heardAt: number;
}

export interface EventClock {
  /** By `{topic}/{partition}`. */
  partitions: Map<string, PartitionProgress>;
  /** Newest trusted time of any input record; null before the first one. */
  newest: number | null;
  /** The highest watermark so far: it never moves back, so a closed day stays closed. */
  watermark: number | null;
}

export function createEventClock(): EventClock {
  return { partitions: new Map(), newest: null, watermark: null };
}

/**
 * What a partition's partial says of its event time (`newest`, null when it has none yet), heard
 * at `now`. Its newest never moves back: a replayed tail repeats older partials.
 */
export function noteSource(clock: EventClock, partition: string, newest: number | null, now: number): void {
  const known = clock.partitions.get(partition)?.newest ?? -Infinity;
  const at = Math.max(known, newest ?? -Infinity);
  clock.partitions.set(partition, { newest: at, heardAt: now });
  if (Number.isFinite(at) && (clock.newest === null || at > clock.newest)) clock.newest = at;
}

/**
 * Partitions whose partial has not come yet (at a first start): they hold the watermark back like
 * any partition (`-Infinity`: nothing closes), until idle.
 */
export function expectSources(clock: EventClock, partitions: readonly string[], now: number): void {
  for (const partition of partitions) if (!clock.partitions.has(partition)) clock.partitions.set(partition, { newest: -Infinity, heardAt: now });
}

/**
 * The oldest newest time among the partitions that are not idle (null before any record), kept
 * as a high-water mark: a partition that wakes up with an old backlog (an edge back after days
 * offline) must not pull it back and reopen days whose reports were already sent — its records
 * for those days count as late.
 */
export function watermarkOf(clock: EventClock, now: number, idlePartitionMs: number): number | null {
  let oldest: number | null = null;
  for (const progress of clock.partitions.values()) {
    if (now - progress.heardAt >= idlePartitionMs) continue;
    if (oldest === null || progress.newest < oldest) oldest = progress.newest;
  }
  const candidate = oldest ?? clock.newest;
  if (candidate !== null && Number.isFinite(candidate) && (clock.watermark === null || candidate > clock.watermark)) clock.watermark = candidate;
  return clock.watermark;
}

/** Whether a span ending at `end` is closed for records, given its lateness allowance. */
export function isClosed(watermark: number | null, end: number, latenessMs: number): boolean {
  return watermark !== null && watermark >= end + latenessMs;
}
