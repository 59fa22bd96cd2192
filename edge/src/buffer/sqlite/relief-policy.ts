/**
 * What to do when the buffer is under pressure — plain functions over numbers, no SQLite.
 *
 * Pressure is either the byte quota (stored record JSON > maxBytes) or the free-disk floor
 * (free bytes for the database, counting SQLite's own free pages, < minFreeDiskBytes). Relief
 * aims `margin` below the limit so it does not run on every append. In order:
 *   1. compact telemetry: in the oldest not-yet-compacted portion keep every Nth record per
 *      device (ledger `compacted`);
 *   2. evict the oldest telemetry (`evicted_quota` / `evicted_disk`);
 *   3. evict the oldest alerts (same reasons);
 *   4. critical events are never evicted: they may exceed the quota, and when the disk floor is
 *      reached with nothing else left the buffer refuses new appends (FW_BUFFER_FULL), so the
 *      device keeps its unacknowledged messages and retries.
 * The applier re-plans after every step, so each step sees the effect of the previous one.
 */
export interface PressureInput {
  storedBytes: number;
  /** Null when not measured yet. */
  freeDiskBytes: number | null;
  telemetryRecords: number;
  /** Telemetry that no compaction has thinned yet and that is eligible (not live, not in flight). */
  compactableRecords: number;
  alertRecords: number;
}

export interface ReliefLimits {
  maxBytes: number;
  minFreeDiskBytes: number;
  margin: number;
  compactKeepEvery: number;
  stepRecords: number;
}

export type ReliefCause = 'quota' | 'disk';

export type ReliefAction =
  | { type: 'compact'; cause: ReliefCause; keepEvery: number; maxRecords: number }
  | { type: 'evict'; cause: ReliefCause; priority: 'telemetry' | 'alert'; reason: EvictionReason; bytes: number; maxRecords: number };

export type EvictionReason = 'evicted_quota' | 'evicted_disk';

export interface Pressure {
  cause: ReliefCause;
  /** Bytes to free to get `margin` below the limit. */
  bytes: number;
}

export function measurePressure(input: PressureInput, limits: ReliefLimits): Pressure | undefined {
  const quota = input.storedBytes > limits.maxBytes ? input.storedBytes - limits.maxBytes * (1 - limits.margin) : 0;
  const disk =
    input.freeDiskBytes !== null && input.freeDiskBytes < limits.minFreeDiskBytes
      ? limits.minFreeDiskBytes * (1 + limits.margin) - input.freeDiskBytes
      : 0;
  if (quota <= 0 && disk <= 0) return undefined;
  return disk >= quota ? { cause: 'disk', bytes: Math.ceil(disk) } : { cause: 'quota', bytes: Math.ceil(quota) };
}

/** The next relief step, or undefined when there is no pressure or nothing may be removed. */
export function planRelief(input: PressureInput, limits: ReliefLimits): ReliefAction | undefined {
  const pressure = measurePressure(input, limits);
  if (pressure === undefined) return undefined;
  const { cause } = pressure;
  // Thinning a handful of records frees too little to be worth the pass; evict instead.
  if (input.compactableRecords >= limits.compactKeepEvery * 2) {
    return { type: 'compact', cause, keepEvery: limits.compactKeepEvery, maxRecords: limits.stepRecords };
  }
  const reason: EvictionReason = cause === 'disk' ? 'evicted_disk' : 'evicted_quota';
  const evict = { type: 'evict', cause, reason, bytes: pressure.bytes, maxRecords: limits.stepRecords } as const;
  if (input.telemetryRecords > 0) return { ...evict, priority: 'telemetry' };
  if (input.alertRecords > 0) return { ...evict, priority: 'alert' };
  return undefined;
}

/** Appends are refused only at the disk floor with nothing left that relief could remove. */
export function mustRefuseAppends(input: PressureInput, limits: ReliefLimits): boolean {
  const atFloor = input.freeDiskBytes !== null && input.freeDiskBytes < limits.minFreeDiskBytes;
  return atFloor && planRelief(input, limits) === undefined;
}

/** Telemetry received before this instant has expired. */
export function expiryCutoff(now: number, maxAgeMs: number): number {
  return now - maxAgeMs;
}
