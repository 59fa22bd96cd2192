/**
 * Latency percentiles in constant memory: a log-bucketed histogram (buckets 2 % wide from
 * 1 µs), so a run of millions of messages costs the same few kilobytes as a short one.
 */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const MIN_US = 1;
const BUCKETS = 1_200; // 1 µs × 1.02^1200 ≈ 20 000 s: beyond any ack.

export interface LatencyHistogram {
  record(ms: number): void;
  readonly count: number;
  /** The q-quantile (0–1) in ms, to 2 %; undefined when empty. */
  quantile(q: number): number | undefined;
  readonly max: number;
}

export function createLatencyHistogram(): LatencyHistogram {
  const counts = new Float64Array(BUCKETS);
  let count = 0;
  let max = 0;
  return {
    record(ms) {
      const us = Math.max(MIN_US, ms * 1000);
      const bucket = Math.min(BUCKETS - 1, Math.floor(Math.log(us / MIN_US) / LOG_GROWTH));
      counts[bucket] = (counts[bucket] as number) + 1;
      count += 1;
      if (ms > max) max = ms;
    },
    get count() {
      return count;
    },
    get max() {
      return max;
    },
    quantile(q) {
      if (count === 0) return undefined;
      const rank = Math.max(1, Math.ceil(q * count));
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) {
        seen += counts[i] as number;
        // Report the bucket's middle: at most 1 % off the true value.
        if (seen >= rank) return Math.min(max, (MIN_US * GROWTH ** (i + 0.5)) / 1000);
      }
      return max;
    },
  };
}
