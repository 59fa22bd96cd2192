import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, vehicleRecord } from '../../test/support/batches.js';
import { createIngestApp, NODE_ID, type IngestApp } from '../../test/support/ingest-app.js';
import { createRateLimits, createTokenBucket } from './rate-limits.js';

describe('token bucket', () => {
  it('allows the burst at once, then the sustained rate, and says how long to wait', () => {
    const take = createTokenBucket({ perSecond: 2, burst: 3 });
    expect([take('a', 0), take('a', 0), take('a', 0), take('a', 0)]).toEqual([0, 0, 0, 1]);
    // Half a second later one token has come back; one request fits, the next waits.
    expect([take('a', 500), take('a', 500)]).toEqual([0, 1]);
    // Another key has its own bucket; a quiet spell refills to the burst, never beyond.
    expect(take('b', 500)).toBe(0);
    expect([take('a', 60_500), take('a', 60_500), take('a', 60_500), take('a', 60_500)]).toEqual([0, 0, 0, 1]);
    const slow = createTokenBucket({ perSecond: 0.1, burst: 1 });
    expect([slow('x', 0), slow('x', 0)]).toEqual([0, 10]);
    expect(createTokenBucket({ perSecond: 0, burst: 1 })('x', 0)).toBe(0);
  });

  it('refuses over the limit with FW_RATE_LIMITED and the wait, counted by limit', async () => {
    const registry = new Registry();
    const limits = createRateLimits({ node: { perSecond: 1, burst: 1 }, client: { perSecond: 1, burst: 1 }, source: { perSecond: 1, burst: 1 } }, registry, () => 0);
    limits.check('client', 'booking');
    expect(() => limits.check('client', 'booking')).toThrow(expect.objectContaining({ code: 'FW_RATE_LIMITED', retryAfterS: 1 }));
    limits.check('client', 'payment');
    expect((await registry.getSingleMetric('fleetwire_cloud_rate_limited_total')!.get()).values).toEqual([{ labels: { limit: 'client' }, value: 1 }]);
  });
});

describe('POST /v1/batches: per-node rate limit', () => {
  let ingest: IngestApp;
  afterEach(async () => ingest.app.close());

  it('answers 429 with retry-after once a node is over its rate, other nodes unaffected, and counts it', async () => {
    let now = 0;
    ingest = await createIngestApp({}, (registry) => createRateLimits({ node: { perSecond: 1, burst: 2 }, client: { perSecond: 1, burst: 1 }, source: { perSecond: 0, burst: 1 } }, registry, () => now));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await ingest.send(batchOf(NODE_ID, [vehicleRecord('VH-0001', i + 1)]))).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    const refused = await ingest.send(batchOf(NODE_ID, [vehicleRecord('VH-0001', 9)]));
    expect([refused.statusCode, refused.headers['retry-after'], refused.json().error.code]).toEqual([429, '1', 'FW_RATE_LIMITED']);
    const other = await ingest.send(batchOf('node-2', [vehicleRecord('VH-0002', 1)]), { authorization: `Bearer ${ingest.otherNodeToken}` });
    expect(other.statusCode).toBe(200);
    expect((await ingest.app.inject({ method: 'GET', url: '/metrics' })).body).toContain('fleetwire_cloud_rate_limited_total{limit="node"} 2');
    now += 1_000;
    expect((await ingest.send(batchOf(NODE_ID, [vehicleRecord('VH-0001', 10)]))).statusCode).toBe(200);
    expect(ingest.bus.produced.length).toBeGreaterThan(0);
  });
});
