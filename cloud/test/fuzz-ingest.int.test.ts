/**
 * Fuzzing cloud ingest (property-based, fast-check, fixed seed) over real HTTP with a valid node
 * token, on the Kafka bus: mutated batches — the gzip body itself, the NDJSON inside (header and
 * records), and one mutated record among valid ones — each followed by a valid batch. Ingest
 * must stay up, never answer bad input with a 5xx, count what it refused, and put every valid
 * record on the bus, including the valid records that shared a batch with a broken one.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BUS_TOPICS } from '@fleetwire/protocol';
import { sumMetric } from '@fleetwire/protocol/testing';
import { fuzzPlan, fuzzTimeout, mutatedBytes, runParameters } from '@fleetwire/protocol/testing/fuzz';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveCloudConfig } from '../src/config.js';
import { issueToken } from '../src/ingest/auth/tokens.js';
import { startCloud, type RunningCloud } from '../src/main.js';
import { batchOf, batchOfLines, vehicleRecord, type RawBatch } from './support/batches.js';
import { readTopics } from './support/kafka.js';
import { sendBatch } from './support/sender.js';

/** The suite's seed and count (FLEETWIRE_FUZZ_SEED / FLEETWIRE_FUZZ_RUNS override them: docs/security.md, "Fuzzing in CI"). */
const BATCHES = fuzzPlan('ingest-batches', { seed: 1509, runs: 40 });

// Ids carry a per-run tag: a Kafka reused across runs still holds earlier runs' records.
const run = randomBytes(3).toString('hex');
const NODE = `fuzz-${run}`;
const GOOD = `VH-${run}-ok`;
const FUZZ = `VH-${run}-fz`;
const token = issueToken(NODE);
const now = Date.now() - 60_000;
let cloud: RunningCloud;

beforeAll(async () => {
  cloud = await startCloud(
    resolveCloudConfig({
      dataDir: mkdtempSync(join(tmpdir(), 'fw-cloud-fuzz-')),
      logLevel: 'silent',
      http: { host: '127.0.0.1', port: 0 },
      bus: { kind: 'kafka', brokers: inject('kafkaBrokers'), clientId: `cloud-fuzz-${run}` },
      tsdb: { url: inject('victoriaMetricsUrl') },
      auth: { nodes: [{ id: NODE, devices: [`VH-${run}-*`], tokens: [token.entry] }] },
      ingest: { maxBodyBytes: 64 * 1024 },
    }),
  );
});

afterAll(async () => {
  await cloud?.stop();
});

const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => sumMetric(await (await fetch(`${cloud.address}/metrics`)).text(), name, labels);
const refusedRecords = (): Promise<number> => metric('fleetwire_ingest_records_total', { outcome: 'rejected' });
const refusedBatches = async (): Promise<number> => (await metric('fleetwire_ingest_batches_total')) - (await metric('fleetwire_ingest_batches_total', { outcome: 'accepted' })) - (await metric('fleetwire_ingest_batches_total', { outcome: 'replayed' }));

/** A batch id of its own for every case (32 hex digits), so no two cases share an idempotency key. */
let cases = 0;
const nextBatchId = (): string => `${run}${(cases += 1).toString(16).padStart(8, '0')}`.padEnd(32, '0');

const PLACEHOLDER_ID = 'e'.repeat(32);
const fuzzLines = (first: number): string[] => [1, 2, 3].map((i) => JSON.stringify(vehicleRecord(FUZZ, first + i, now + first + i)));

/** What a case mutated: the compressed body, the NDJSON inside it, or one record line. */
type FuzzInput = { what: 'gzip'; body: Buffer } | { what: 'ndjson'; text: Buffer } | { what: 'record'; line: Buffer };

const fuzzInput: fc.Arbitrary<FuzzInput> = fc.oneof(
  // The compressed body: mostly a stream that does not inflate.
  mutatedBytes(batchOfLines(NODE, fuzzLines(0), PLACEHOLDER_ID).body).map((body) => ({ what: 'gzip' as const, body })),
  // The NDJSON text inside, anywhere (header included).
  mutatedBytes(gunzipSync(batchOfLines(NODE, fuzzLines(0), PLACEHOLDER_ID).body)).map((text) => ({ what: 'ndjson' as const, text })),
  // One record line, between two intact records.
  mutatedBytes(Buffer.from(JSON.stringify(vehicleRecord(FUZZ, 0, now)))).map((line) => ({ what: 'record' as const, line })),
);

/**
 * The batch of a case, under a batch id of its own; `valid` lists the intact records in it that
 * must be accepted: the neighbours of a mutated line, unless the mutation put a line break in it
 * (the header's record count then no longer matches, and the batch is refused whole as corrupt).
 */
function batchFor(input: FuzzInput): { batch: RawBatch; valid: string[] } {
  const batchId = nextBatchId();
  switch (input.what) {
    case 'gzip':
      return { batch: { ...batchOfLines(NODE, fuzzLines(0), batchId), body: input.body }, valid: [] };
    case 'ndjson': {
      // The header keeps naming the case's own batch id where the mutation left it intact.
      const text = Buffer.from(input.text.toString('latin1').replaceAll(PLACEHOLDER_ID, batchId), 'latin1');
      return { batch: { ...batchOfLines(NODE, [], batchId), body: gzipSync(text) }, valid: [] };
    }
    case 'record': {
      const first = cases * 10;
      const [before, , after] = fuzzLines(first);
      const batch = batchOfLines(NODE, [before as string, input.line.toString('utf8'), after as string], batchId);
      return { batch, valid: input.line.includes(0x0a) ? [] : [`${FUZZ}:b00t1:${first + 1}`, `${FUZZ}:b00t1:${first + 3}`] };
    }
  }
}

describe('cloud ingest under fuzzing', () => {
  it('answers mutated batches without a 5xx, counts what it refused, and puts every valid record on the bus', async () => {
    const before = { records: await refusedRecords(), batches: await refusedBatches() };
    const answered = { records: 0, batches: 0 };
    const expected: string[] = [];
    const statuses: Record<string, number> = {};
    let goodSeq = 0;
    await fc.assert(
      fc.asyncProperty(fuzzInput, async (input) => {
        const { what } = input;
        const { batch, valid } = batchFor(input);
        const answer = await sendBatch(cloud.address, token.token, batch);
        statuses[`${what} ${answer.status}`] = (statuses[`${what} ${answer.status}`] ?? 0) + 1;
        expect(answer.status).toBeLessThan(500);
        if (answer.status === 200) answered.records += (answer.body as { rejected: unknown[] }).rejected.length;
        else answered.batches += 1;
        if (valid.length > 0) {
          // The broken line costs its neighbours nothing: the batch is answered 200 and they are accepted.
          expect(answer.status).toBe(200);
          expected.push(...valid);
        }
        goodSeq += 1;
        const good = vehicleRecord(GOOD, goodSeq, now + goodSeq);
        const neighbour = await sendBatch(cloud.address, token.token, batchOf(NODE, [good]));
        expect([neighbour.status, neighbour.body]).toEqual([200, { accepted: 1, duplicates: 0, rejected: [] }]);
        expected.push(good.id);
      }),
      runParameters(BATCHES),
    );
    console.log(`fuzz ingest-batches: answers ${JSON.stringify(statuses)}`);

    expect((await fetch(`${cloud.address}/healthz`)).status).toBe(200);
    // Every refused batch and every dead-lettered record of an accepted one is counted.
    expect({ records: (await refusedRecords()) - before.records, batches: (await refusedBatches()) - before.batches }).toEqual(answered);
    const topics = [BUS_TOPICS.vehicleTelemetry];
    const onBus = await readTopics(inject('kafkaBrokers'), topics, (all) => expected.every((id) => all.some((m) => m.headers['fw-id'] === id)));
    const ids = new Set(onBus.map((m) => m.headers['fw-id']));
    expect(expected.filter((id) => !ids.has(id))).toEqual([]);
  }, fuzzTimeout(BATCHES, 1000));
});
