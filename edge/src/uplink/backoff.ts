/**
 * How long the uplink waits before the next attempt — plain functions over numbers.
 * Exponential back-off with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): spreading retries uniformly over [0, cap] keeps a fleet of edge nodes from
 * hammering a recovering cloud in lockstep. `retry-after` from the cloud is a floor.
 */
import type { FailureClass } from './answer.js';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Wait after 401/403/other config refusals: only an operator can fix those. */
  authMs: number;
  /** Cap on an honoured retry-after, so a broken header cannot stall the node for days. */
  maxRetryAfterMs: number;
}

/** Full jitter: uniform in [0, min(maxMs, baseMs · 2^(failures−1))]. */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number): number {
  if (failures <= 0) return 0;
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - 1, 52));
  return Math.floor(random() * cap);
}

/** `retry-after` as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date always names its weekday and month; this keeps "-5" from parsing as a year.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export interface WaitInput {
  failureClass: FailureClass;
  /** Consecutive failures, this one included. */
  failures: number;
  retryAfterMs?: number | undefined;
}

/** The wait before the next attempt after a failure. */
export function nextWait(input: WaitInput, policy: BackoffPolicy, random: () => number): number {
  const floor = Math.min(input.retryAfterMs ?? 0, policy.maxRetryAfterMs);
  if (input.failureClass === 'auth' || input.failureClass === 'config') {
    // Half to full: long, but nodes refused together do not come back together.
    return Math.max(floor, Math.floor(policy.authMs * (0.5 + random() / 2)));
  }
  return Math.max(floor, backoffDelay(input.failures, policy, random));
}
