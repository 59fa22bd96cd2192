/**
 * Kafka goes away while batches arrive: ingest must answer 503 with retry-after (never 2xx for
 * a batch the bus did not store), a sender that retries like the edge gets every batch in
 * once Kafka is back, and the time-series sink's consumer group outlives the outage.
 *
 * The test servers start Kafka with a freshly formatted data folder, so records stored before
 * the stop do not survive the restart here (and the topics are put back by hand); the test
 * therefore checks the batches that were sent while Kafka was down.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS } from '@fleetwire/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestServers } from '@fleetwire/test-servers';
import { resolveCloudConfig } from '../src/config.js';
import { issueToken } from '../src/ingest/auth/tokens.js';
import { batchOf, vehicleRecord } from './support/batches.js';
import { startCloud, type RunningCloud } from '../src/main.js';
import { readTopics, restoreTopics } from './support/kafka.js';
import { sendBatch, sendWithRetry, type SendResult } from './support/sender.js';
import { pointCount, waitForSeries } from './support/victoria-metrics.js';

const run = randomBytes(3).toString('hex');
const NODE = `outage-${run}`;
const token = issueToken(NODE);
const kafka = createTestServers({ progress: () => undefined }).servers.find((server) => server.name === 'kafka');
let cloud: RunningCloud;

beforeAll(async () => {
  cloud = await startCloud(
    resolveCloudConfig({
      dataDir: mkdtempSync(join(tmpdir(), 'fw-cloud-outage-')),
      logLevel: 'silent',
      http: { host: '127.0.0.1', port: 0 },
      bus: { kind: 'kafka', brokers: inject('kafkaBrokers'), produceTimeoutMs: 2000 },
      tsdb: { url: inject('victoriaMetricsUrl') },
      auth: { nodes: [{ id: NODE, devices: [`VH-${run}-*`], tokens: [token.entry] }] },
      ingest: { retryAfterSeconds: { busUnavailable: 1 } },
    }),
  );
});

afterAll(async () => {
  await cloud?.stop();
});

describe('Kafka outage during ingest', () => {
  it('answers 503 with retry-after while Kafka is down, and a retrying sender gets everything in', async () => {
    expect(kafka).toBeDefined();
    const before = await kafka!.status();
    // Recent device times: VictoriaMetrics drops samples older than its retention.
    const now = Date.now() - 60_000;
    const batches = Array.from({ length: 6 }, (_, b) =>
      batchOf(NODE, [vehicleRecord(`VH-${run}-${b}`, 1, now + 1000), vehicleRecord(`VH-${run}-${b}`, 2, now + 2000)]),
    );
    expect((await sendBatch(cloud.address, token.token, batches[0]!)).status).toBe(200);

    await kafka!.stop();
    const seen: SendResult[] = [];
    const duringOutage = await sendBatch(cloud.address, token.token, batches[1]!);
    const senders = batches.slice(1).map((batch) =>
      sendWithRetry(cloud.address, token.token, batch, seen, { maxWaitMs: 1000, deadlineMs: 170_000 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(seen.some((result) => result.status === 200)).toBe(false);
    // stop() forgets the server's registered users, so this worker registers itself: otherwise
    // any other test run releasing the servers would stop the restarted Kafka under us.
    await kafka!.start({ mode: before.mode ?? 'auto', asUser: before.mode !== 'manual' });
    await restoreTopics(inject('kafkaBrokers'), Object.values(BUS_TOPICS));
    const finals = await Promise.all(senders);

    expect(duringOutage.status).toBe(503);
    expect(duringOutage.retryAfter).toBe('1');
    expect((duringOutage.body as { error: { code: string } }).error.code).toBe('FW_BUS_UNAVAILABLE');
    expect(seen.filter((result) => result.status === 503).length).toBeGreaterThan(0);
    expect(finals.map((result) => result.status)).toEqual([200, 200, 200, 200, 200]);

    const expected = batches.slice(1).flatMap((_, i) => [`VH-${run}-${i + 1}:b00t1:1`, `VH-${run}-${i + 1}:b00t1:2`]);
    const messages = await readTopics(
      inject('kafkaBrokers'),
      [BUS_TOPICS.vehicleTelemetry],
      (all) => expected.every((id) => all.some((m) => m.headers['fw-id'] === id)),
    );
    const ids = new Set(messages.map((m) => m.headers['fw-id']));
    expect(expected.filter((id) => !ids.has(id))).toEqual([]);

    const selector = `vehicle_soc_pct{vehicle_id=~"VH-${run}-[1-5]"}`;
    const written = await waitForSeries(inject('victoriaMetricsUrl'), selector, (s) => pointCount(s) >= expected.length, 90_000);
    expect(pointCount(written)).toBe(expected.length);
  }, 240_000);
});
