/**
 * Failed logins back off: each key (a source address, a device id) may fail a few times freely,
 * then each further failure closes it for twice as long as the last (bounded), and while it is
 * closed its attempts are refused before any password work. A success clears a device id's
 * record. The records are plain data with the time passed in, so the decisions are testable
 * without clocks; they are bounded in number (the oldest is forgotten first) and forgotten once
 * idle for long enough that they would no longer hold anything back.
 */

export interface BackoffPolicy {
  /** Failures allowed before the first closure. */
  freeFailures: number;
  /** The first closure; each further failure doubles it. */
  baseMs: number;
  /** The longest closure. */
  maxMs: number;
  /** Records kept at most (an attacker inventing keys cannot grow memory without bound). */
  maxKeys: number;
}

interface FailureRecord {
  failures: number;
  closedUntil: number;
  lastFailure: number;
}

export interface FailureBackoff {
  /** When the key opens again (ms since the epoch), or undefined when it is open now. */
  closedUntil(key: string, now: number): number | undefined;
  failed(key: string, now: number): void;
  succeeded(key: string): void;
  /** Keys closed at `now`. */
  closedCount(now: number): number;
}

export function createFailureBackoff(policy: BackoffPolicy): FailureBackoff {
  // A Map iterates in insertion order: re-inserting on each failure keeps the stalest first.
  const records = new Map<string, FailureRecord>();
  const forgetAfterMs = 2 * policy.maxMs;

  function current(key: string, now: number): FailureRecord | undefined {
    const record = records.get(key);
    if (record !== undefined && now - record.lastFailure > forgetAfterMs) {
      records.delete(key);
      return undefined;
    }
    return record;
  }

  return {
    closedUntil(key, now) {
      const record = current(key, now);
      return record !== undefined && record.closedUntil > now ? record.closedUntil : undefined;
    },
    failed(key, now) {
      const record = current(key, now) ?? { failures: 0, closedUntil: 0, lastFailure: now };
      record.failures += 1;
      record.lastFailure = now;
      const over = record.failures - policy.freeFailures;
      if (over > 0) record.closedUntil = now + closureMs(policy, over);
      records.delete(key);
      records.set(key, record);
      while (records.size > policy.maxKeys) records.delete(records.keys().next().value as string);
    },
    succeeded(key) {
      records.delete(key);
    },
    closedCount(now) {
      let closed = 0;
      for (const record of records.values()) if (record.closedUntil > now) closed += 1;
      return closed;
    },
  };
}

/** The closure after the `over`-th failure beyond the free ones: base · 2^(over−1), at most max. */
export function closureMs(policy: Pick<BackoffPolicy, 'baseMs' | 'maxMs'>, over: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(over - 1, 30));
}
