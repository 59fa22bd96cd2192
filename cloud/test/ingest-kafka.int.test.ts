/**
 * Ingest against the real servers: the Kafka bus, a kafkajs consumer reading back what landed,
 * and the time-series sink writing to VictoriaMetrics. Ids carry a per-run tag, because a Kafka
 * reused across runs still holds earlier runs' records.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS, type FleetRecord } from '@fleetwire/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveCloudConfig } from '../src/config.js';
import { issueToken } from '../src/ingest/auth/tokens.js';
import { batchOf, batchOfLines, chargerRecord, tripEndedRecord, vehicleRecord } from './support/batches.js';
import { startCloud, type RunningCloud } from '../src/main.js';
import { readTopics, type ReadMessage } from './support/kafka.js';
import { sendBatch } from './support/sender.js';
import { pointCount, waitForSeries } from './support/victoria-metrics.js';

const run = randomBytes(3).toString('hex');
const NODE = `int-${run}`;
const vehicle = (n: number) => `VH-${run}-${n}`;
const charger = (n: number) => `CH-${run}-${n}`;
const ALL_TOPICS = Object.values(BUS_TOPICS);
const now = Date.now() - 60_000;
const token = issueToken(NODE);

let cloud: RunningCloud;

function cloudConfig() {
  return resolveCloudConfig({
    dataDir: mkdtempSync(join(tmpdir(), 'fw-cloud-int-')),
    logLevel: 'silent',
    http: { host: '127.0.0.1', port: 0 },
    bus: { kind: 'kafka', brokers: inject('kafkaBrokers'), clientId: `cloud-int-${run}` },
    tsdb: { url: inject('victoriaMetricsUrl') },
    auth: { nodes: [{ id: NODE, devices: [`VH-${run}-*`, `CH-${run}-*`], tokens: [token.entry] }] },
    ingest: { maxBodyBytes: 64 * 1024 },
  });
}

/** Every message of this run on the bus: the ones whose id or source names this run's node or devices. */
const ours = (m: ReadMessage) => (m.headers['fw-id'] ?? '').includes(run) || m.headers['fw-source'] === NODE;
const readOurs = (expected: number, timeoutMs = 30_000) =>
  readTopics(inject('kafkaBrokers'), ALL_TOPICS, (all) => all.filter(ours).length >= expected, timeoutMs).then((all) =>
    all.filter(ours),
  );
const countById = (messages: ReadMessage[]) =>
  messages.reduce<Record<string, number>>((counts, m) => {
    const id = m.headers['fw-id'] ?? '';
    counts[id] = (counts[id] ?? 0) + 1;
    return counts;
  }, {});

beforeAll(async () => {
  cloud = await startCloud(cloudConfig());
});

afterAll(async () => {
  await cloud?.stop();
});

describe('ingest → Kafka → VictoriaMetrics', () => {
  it('is ready once Kafka and VictoriaMetrics answer and the services caught up', async () => {
    // The services are ready once their partitions are restored and near the head: not at once.
    const deadline = Date.now() + 60_000;
    let response = await fetch(`${cloud.address}/readyz`);
    while (response.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      response = await fetch(`${cloud.address}/readyz`);
    }
    expect([response.status, await response.json()]).toEqual([200, { ready: true, checks: { bus: true, tsdb: true, fleet: true, analytics: true, maintenance: true, audit: true, returns: true, commands: true } }]);
  });

  const telemetry: FleetRecord[] = [
    vehicleRecord(vehicle(1), 1, now),
    vehicleRecord(vehicle(1), 2, now + 1000),
    vehicleRecord(vehicle(2), 1, now),
    chargerRecord(charger(1), 1, now),
  ];
  const event = tripEndedRecord(vehicle(1), 3);
  const invalid = vehicleRecord(vehicle(2), 2, now + 1000);
  invalid.payload.socPct = 140;
  const foreign = vehicleRecord(`VH-other-${run}`, 1, now);

  it('puts each record on its topic with its key and id, dead-letters the bad ones, and the sink writes the points', async () => {
    const lines = [...telemetry, event, invalid, foreign].map((r) => JSON.stringify(r));
    const answer = await sendBatch(cloud.address, token.token, batchOfLines(NODE, lines, `${run}0`.padEnd(32, '0')));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      accepted: 5,
      duplicates: 0,
      rejected: [
        { id: invalid.id, reason: 'impossible_value' },
        { id: foreign.id, reason: 'device_not_allowed' },
      ],
    });

    const messages = await readOurs(7);
    const where = (id: string) => messages.filter((m) => m.headers['fw-id'] === id).map((m) => [m.topic, m.key]);
    expect(where(telemetry[0]!.id)).toEqual([[BUS_TOPICS.vehicleTelemetry, vehicle(1)]]);
    expect(where(telemetry[2]!.id)).toEqual([[BUS_TOPICS.vehicleTelemetry, vehicle(2)]]);
    expect(where(telemetry[3]!.id)).toEqual([[BUS_TOPICS.chargerTelemetry, charger(1)]]);
    expect(where(event.id)).toEqual([[BUS_TOPICS.events, 'trip-3']]);
    const deadLetters = messages.filter((m) => m.topic === BUS_TOPICS.deadLetters);
    expect(deadLetters.map((m) => [m.headers['fw-id'], m.headers['fw-reason'], m.key])).toEqual([
      [invalid.id, 'impossible_value', NODE],
      [foreign.id, 'device_not_allowed', NODE],
    ]);
    expect(deadLetters.map((m) => m.value.toString())).toEqual([JSON.stringify(invalid), JSON.stringify(foreign)]);

    const soc = await waitForSeries(inject('victoriaMetricsUrl'), `vehicle_soc_pct{vehicle_id=~"VH-${run}-.*"}`, (s) => pointCount(s) >= 3);
    expect(soc.map((s) => [s.metric.vehicle_id, s.timestamps]).sort()).toEqual([
      [vehicle(1), [now, now + 1000]],
      [vehicle(2), [now]],
    ]);
  });

  it('stores a batch sent twice, and its records re-sent in a new batch, once in Kafka and once in the TSDB', async () => {
    const records = [vehicleRecord(vehicle(3), 1, now), vehicleRecord(vehicle(3), 2, now + 1000)];
    const batch = batchOf(NODE, records);
    const first = await sendBatch(cloud.address, token.token, batch);
    const again = await sendBatch(cloud.address, token.token, batch);
    const rebatched = await sendBatch(cloud.address, token.token, batchOf(NODE, [records[1]!, vehicleRecord(vehicle(3), 3, now + 2000)]));

    expect(first.body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(again.body).toEqual(first.body);
    expect(rebatched.body).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
    const counts = countById((await readOurs(100, 8_000)).filter((m) => m.key === vehicle(3)));
    expect(counts).toEqual({ [`${vehicle(3)}:b00t1:1`]: 1, [`${vehicle(3)}:b00t1:2`]: 1, [`${vehicle(3)}:b00t1:3`]: 1 });

    // A restarted ingest has forgotten the key: the records reach Kafka again, and the sink's
    // points (series + device time) absorb the replay.
    await cloud.stop();
    cloud = await startCloud(cloudConfig());
    expect((await sendBatch(cloud.address, token.token, batch)).body).toEqual(first.body);
    const soc = await waitForSeries(inject('victoriaMetricsUrl'), `vehicle_soc_pct{vehicle_id="${vehicle(3)}"}`, (s) => pointCount(s) >= 3);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const settled = await waitForSeries(inject('victoriaMetricsUrl'), `vehicle_soc_pct{vehicle_id="${vehicle(3)}"}`, () => true);
    expect(pointCount(soc)).toBe(3);
    expect(settled.flatMap((s) => s.timestamps)).toEqual([now, now + 1000, now + 2000]);
  });

  it('answers bad input with the documented errors and loses nothing valid', async () => {
    const good = vehicleRecord(vehicle(4), 1, now);
    const unauthorised = await sendBatch(cloud.address, `fw1.${NODE}.wrong`, batchOf(NODE, [good]));
    const allForeign = await sendBatch(cloud.address, token.token, batchOf(NODE, [vehicleRecord(`VH-x${run}`, 1, now)]));
    const corruptBody = Buffer.from(`not gzip ${run}`);
    const corrupt = await sendBatch(cloud.address, token.token, { ...batchOf(NODE, [good]), body: corruptBody });
    const oversized = await sendBatch(cloud.address, token.token, { ...batchOf(NODE, [good]), body: randomBytes(100 * 1024) });
    const mixed = await sendBatch(cloud.address, token.token, batchOfLines(NODE, [JSON.stringify(good), '{"id":', JSON.stringify({ ...good, id: `${vehicle(4)}:b00t1:2`, kind: 'boat' })], `${run}1`.padEnd(32, '0')));

    expect([unauthorised.status, (unauthorised.body as { error: { code: string } }).error.code]).toEqual([401, 'FW_AUTH_INVALID']);
    expect([allForeign.status, (allForeign.body as { rejected: Array<{ reason: string }> }).rejected[0]?.reason]).toEqual([200, 'device_not_allowed']);
    expect([corrupt.status, (corrupt.body as { error: { reason: string } }).error.reason]).toEqual([400, 'batch_corrupt']);
    expect([oversized.status, (oversized.body as { error: { reason: string } }).error.reason]).toEqual([413, 'batch_too_large']);
    expect(mixed.status).toBe(200);
    expect(mixed.body).toMatchObject({ accepted: 1, rejected: [{ id: 'line:3', reason: 'record_corrupt' }, { reason: 'schema_violation' }] });

    const messages = await readOurs(100, 8_000);
    expect(messages.filter((m) => m.headers['fw-id'] === good.id).map((m) => m.topic)).toEqual([BUS_TOPICS.vehicleTelemetry]);
    const corruptLetters = messages.filter((m) => m.headers['fw-reason'] === 'batch_corrupt');
    expect(corruptLetters.map((m) => m.value.toString())).toEqual([corruptBody.toString()]);
    // The foreign record is only in the DLQ, never on a telemetry topic.
    expect(messages.filter((m) => m.headers['fw-id'] === `VH-x${run}:b00t1:1`).map((m) => [m.topic, m.headers['fw-reason']])).toEqual([
      [BUS_TOPICS.deadLetters, 'device_not_allowed'],
    ]);
  });
});
