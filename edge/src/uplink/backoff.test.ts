import { describe, expect, it } from 'vitest';
import { backoffDelay, nextWait, parseRetryAfter, type BackoffPolicy } from './backoff.js';

const policy: BackoffPolicy = { baseMs: 100, maxMs: 5000, authMs: 60_000, maxRetryAfterMs: 30_000 };
const top = () => 0.999_999;

describe('backoffDelay', () => {
  it('doubles the cap per consecutive failure up to the maximum', () => {
    expect([1, 2, 3, 4, 7, 8, 50].map((n) => backoffDelay(n, policy, top))).toEqual([99, 199, 399, 799, 4999, 4999, 4999]);
  });

  it('spreads waits uniformly below the cap (full jitter)', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelay(0, policy, top)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('nextWait', () => {
  it('uses retry-after as a floor, capped', () => {
    expect(nextWait({ failureClass: 'throttled', failures: 1, retryAfterMs: 2000 }, policy, () => 0)).toBe(2000);
    expect(nextWait({ failureClass: 'throttled', failures: 1, retryAfterMs: 3_600_000 }, policy, () => 0)).toBe(30_000);
    expect(nextWait({ failureClass: 'server', failures: 10, retryAfterMs: 10 }, policy, top)).toBe(4999);
  });
  it('waits long after an auth or configuration refusal, jittered between half and full', () => {
    expect(nextWait({ failureClass: 'auth', failures: 1 }, policy, () => 0)).toBe(30_000);
    expect(nextWait({ failureClass: 'config', failures: 1 }, policy, top)).toBe(59_999);
  });
});
