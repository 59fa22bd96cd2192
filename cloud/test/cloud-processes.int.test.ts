/**
 * Several ingest processes behind one port (`http.processes`) against the real Kafka: batches sent
 * on separate connections are all stored, each record exactly once, and stopping drains and ends
 * every worker.
 */
import { randomBytes } from 'node:crypto';
import cluster from 'node:cluster';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS } from '@fleetwire/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCloudProcesses } from '../src/cloud-processes.js';
import { resolveCloudConfig } from '../src/config.js';
import { issueToken } from '../src/ingest/auth/tokens.js';
import { createCloudLogger, type RunningCloud } from '../src/main.js';
import { batchOf, vehicleRecord } from './support/batches.js';
import { readTopics } from './support/kafka.js';
import { sendBatch } from './support/sender.js';

const run = randomBytes(3).toString('hex');
const NODE = `procs-${run}`;
const token = issueToken(NODE);
const off = { enabled: false };
const now = Date.now() - 60_000;
let cloud: RunningCloud | undefined;

beforeAll(async () => {
  cloud = await startCloudProcesses(resolveCloudConfig({
    dataDir: mkdtempSync(join(tmpdir(), 'fw-cloud-procs-')),
    logLevel: 'silent',
    http: { host: '127.0.0.1', port: 0, processes: 2 },
    bus: { kind: 'kafka', brokers: inject('kafkaBrokers'), clientId: `cloud-procs-${run}` },
    auth: { nodes: [{ id: NODE, devices: [`VH-${run}-*`], tokens: [token.entry] }] },
    fleet: off, analytics: off, maintenance: off, audit: off, returns: off, commands: off,
  }), createCloudLogger('silent'));
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('two ingest processes on one port', () => {
  it('stores every batch sent on its own connection, each record exactly once, and stops every worker', async () => {
    const address = cloud?.address as string;
    const batches = Array.from({ length: 8 }, (_, b) => batchOf(NODE, [1, 2, 3].map((seq) => vehicleRecord(`VH-${run}-${b}`, seq, now + seq * 1000))));
    const answers = await Promise.all(batches.map((batch) => sendBatch(address, token.token, batch)));
    expect(answers.map((a) => [a.status, (a.body as { accepted: number }).accepted])).toEqual(batches.map(() => [200, 3]));

    const ours = await readTopics(inject('kafkaBrokers'), [BUS_TOPICS.vehicleTelemetry], (all) => all.filter((m) => (m.headers['fw-id'] ?? '').includes(run)).length >= 24, 30_000)
      .then((all) => all.filter((m) => (m.headers['fw-id'] ?? '').includes(run)));
    const ids = ours.map((m) => m.headers['fw-id']);
    expect(ids).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);

    expect(Object.keys(cluster.workers ?? {})).toHaveLength(2);
    await cloud?.stop();
    cloud = undefined;
    expect(Object.keys(cluster.workers ?? {})).toHaveLength(0);
  }, 120_000);
});
