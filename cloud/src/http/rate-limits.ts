/**
 * Rate limits on the public listener, token buckets per key: per edge node at ingest, per
 * business client on the business events API, and per source address on every public request
 * before it is authenticated (the unauthenticated paths: a stranger cannot make the cloud check
 * tokens as fast as it can send). Over the limit is FW_RATE_LIMITED — HTTP 429 with a
 * `retry-after` saying when the next request fits — counted by limit. One cheap check per
 * request (a Map lookup and some arithmetic); the decisions are plain functions of the time.
 */
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { Counter, type Registry } from 'prom-client';
import { CloudError } from '../errors.js';

const Bucket = (perSecond: number, burst: number) =>
  Type.Object(
    {
      /** Sustained requests per second; 0 turns the limit off. */
      perSecond: Type.Number({ minimum: 0, default: perSecond }),
      /** Requests allowed at once after a quiet spell. */
      burst: Type.Integer({ minimum: 1, default: burst }),
    },
    { additionalProperties: false, default: {} },
  );

export const RateLimitSettingsSchema = Type.Object(
  {
    /** Batches per edge node at POST /v1/batches (a draining backlog sends back to back). */
    node: Bucket(50, 200),
    /** Requests per business client at the business events API. */
    client: Bucket(50, 200),
    /** Requests per source address on the public listener, before authentication. */
    source: Bucket(200, 1_000),
  },
  { additionalProperties: false, default: {} },
);
export type RateLimitSettings = Static<typeof RateLimitSettingsSchema>;
export type LimitName = keyof RateLimitSettings;

interface BucketState {
  tokens: number;
  at: number;
}

/** Seconds until a request fits (0: it fits now, and one token is taken). */
export type TokenBucket = (key: string, nowMs: number) => number;

export function createTokenBucket(policy: { perSecond: number; burst: number }, maxKeys = 50_000): TokenBucket {
  const buckets = new Map<string, BucketState>();
  return (key, nowMs) => {
    if (policy.perSecond === 0) return 0;
    const state = buckets.get(key) ?? { tokens: policy.burst, at: nowMs };
    state.tokens = Math.min(policy.burst, state.tokens + ((nowMs - state.at) / 1000) * policy.perSecond);
    state.at = nowMs;
    if (!buckets.has(key)) {
      // Bounded: the oldest key goes first (a full bucket forgotten costs nothing but its burst).
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
      buckets.set(key, state);
    }
    if (state.tokens >= 1) {
      state.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - state.tokens) / policy.perSecond));
  };
}

export interface RateLimits {
  /** Throws FW_RATE_LIMITED (with `retryAfterS`) when `key` is over the named limit. */
  check(limit: LimitName, key: string): void;
}

export function createRateLimits(settings: RateLimitSettings, registry: Registry, now: () => number = Date.now): RateLimits {
  const buckets = { node: createTokenBucket(settings.node), client: createTokenBucket(settings.client), source: createTokenBucket(settings.source) };
  const limited = new Counter({ name: 'fleetwire_cloud_rate_limited_total', help: 'Requests refused with 429 by a rate limit (node, client, source)', labelNames: ['limit'], registers: [registry] });
  return {
    check(limit, key) {
      const waitS = buckets[limit](key, now());
      if (waitS === 0) return;
      limited.inc({ limit });
      throw Object.assign(new CloudError('FW_RATE_LIMITED', `${limit} ${key} is over its rate limit (${settings[limit].perSecond}/s, burst ${settings[limit].burst}); retry in ${waitS} s`, { canRetry: true }), { retryAfterS: waitS });
    },
  };
}

/** The retry-after a rate-limit refusal carries, if any. */
export function retryAfterOf(error: unknown): number | undefined {
  const value = (error as { retryAfterS?: unknown }).retryAfterS;
  return typeof value === 'number' ? value : undefined;
}
