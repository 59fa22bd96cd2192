import { gzipSync } from 'node:zlib';
import { BUS_TOPICS } from '@fleetwire/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, batchOfLines, chargerRecord, tripEndedRecord, vehicleRecord } from '../../test/support/batches.js';
import { createIngestApp, NODE_ID, type IngestApp } from '../../test/support/ingest-app.js';
import { TRUNCATED_HEADER } from './triage.js';

let ingest: IngestApp;

afterEach(async () => {
  await ingest.app.close();
});

const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; reason: string; detail: string } }).error;

describe('POST /v1/batches: accepted batches', () => {
  it('produces every record to its topic, keyed by device or subject, with its id in fw-id', async () => {
    ingest = await createIngestApp();
    const records = [vehicleRecord('VH-0007', 1), chargerRecord('CH-0001', 2), tripEndedRecord('VH-0007', 3)];
    const response = await ingest.send(batchOf(NODE_ID, records));

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect(ingest.bus.produced.map((m) => [m.topic, m.key, m.headers['fw-id']])).toEqual([
      [BUS_TOPICS.vehicleTelemetry, 'VH-0007', 'VH-0007:b00t1:1'],
      [BUS_TOPICS.chargerTelemetry, 'CH-0001', 'CH-0001:c4arg3:2'],
      [BUS_TOPICS.events, 'trip-3', 'VH-0007:b00t1:3'],
    ]);
    expect(JSON.parse(ingest.bus.produced[0]!.value.toString())).toEqual(records[0]);
  });

  it('answers a replayed batch with the same answer and does not produce it again', async () => {
    ingest = await createIngestApp();
    const batch = batchOfLines(NODE_ID, [JSON.stringify(vehicleRecord('VH-0001', 1)), '{broken']);
    const first = await ingest.send(batch);
    const second = await ingest.send(batch);

    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(ingest.bus.produceCalls).toBe(1);
    expect(ingest.bus.produced).toHaveLength(2); // the record and the dead letter, once
  });

  it('counts records already stored by another batch, or repeated within one, as duplicates', async () => {
    ingest = await createIngestApp();
    await ingest.send(batchOf(NODE_ID, [vehicleRecord('VH-0001', 1), vehicleRecord('VH-0001', 2)]));
    const again = vehicleRecord('VH-0001', 2);
    const response = await ingest.send(batchOf(NODE_ID, [again, vehicleRecord('VH-0001', 3), vehicleRecord('VH-0001', 3)]));

    expect(response.json()).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
    expect(ingest.bus.produced.map((m) => m.headers['fw-id'])).toEqual([
      'VH-0001:b00t1:1',
      'VH-0001:b00t1:2',
      'VH-0001:b00t1:3',
    ]);
  });
});

describe('POST /v1/batches: authentication', () => {
  const batch = () => batchOf(NODE_ID, [vehicleRecord('VH-0001', 1)]);

  it.each([
    ['no credential', undefined, 'FW_AUTH_MISSING'],
    ['a token that is not a fleetwire token', 'Bearer not-a-token', 'FW_AUTH_INVALID'],
    ['a wrong secret for a known node', `Bearer fw1.${NODE_ID}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, 'FW_AUTH_INVALID'],
    ['an unknown node', 'Bearer fw1.node-9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'FW_AUTH_INVALID'],
    ['a basic credential', 'Basic dXNlcjpwYXNz', 'FW_AUTH_INVALID'],
  ])('refuses %s with 401 and produces nothing', async (_name, authorization, code) => {
    ingest = await createIngestApp();
    const response = await ingest.send(batch(), { authorization });

    expect(response.statusCode).toBe(401);
    expect(errorOf(response.body).code).toBe(code);
    expect(ingest.bus.produced).toHaveLength(0);
  });

  it('refuses a revoked token with FW_AUTH_REVOKED while the node’s current token works', async () => {
    ingest = await createIngestApp();
    const refused = await ingest.send(batch(), { authorization: `Bearer ${ingest.revokedToken}` });
    const accepted = await ingest.send(batch());

    expect(refused.statusCode).toBe(401);
    expect(errorOf(refused.body)).toMatchObject({ code: 'FW_AUTH_REVOKED', reason: 'auth_revoked' });
    expect(accepted.statusCode).toBe(200);
  });

  it('refuses a batch whose header names another node than the caller (403)', async () => {
    ingest = await createIngestApp();
    const response = await ingest.send(batch(), { authorization: `Bearer ${ingest.otherNodeToken}` });

    expect(response.statusCode).toBe(403);
    expect(errorOf(response.body).code).toBe('FW_NODE_MISMATCH');
    expect(ingest.bus.produced).toHaveLength(0);
  });
});

describe('POST /v1/batches: devices a node does not serve', () => {
  it('dead-letters a foreign device’s record with its bytes and accepts the rest', async () => {
    ingest = await createIngestApp();
    const foreign = chargerRecord('CH-0002', 5);
    const batch = batchOfLines(NODE_ID, [JSON.stringify(vehicleRecord('VH-0001', 1)), JSON.stringify(foreign)]);
    const response = await ingest.send(batch);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      accepted: 1,
      rejected: [{ id: foreign.id, reason: 'device_not_allowed' }],
    });
    const deadLetters = ingest.bus.produced.filter((m) => m.topic === BUS_TOPICS.deadLetters);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.value.toString()).toBe(JSON.stringify(foreign));
    expect(deadLetters[0]!.headers).toMatchObject({ 'fw-reason': 'device_not_allowed', 'fw-id': foreign.id, 'fw-source': NODE_ID });
  });

  it('refuses a record whose id names a foreign device even from a served source', async () => {
    ingest = await createIngestApp();
    const spoof = { ...vehicleRecord('VH-0001', 1), id: 'CH-0009:x1:1' };
    const response = await ingest.send(batchOf(NODE_ID, [spoof, vehicleRecord('VH-0001', 2)]));

    expect(response.json()).toMatchObject({ accepted: 1, rejected: [{ id: 'CH-0009:x1:1', reason: 'device_not_allowed' }] });
  });

  it('dead-letters a batch whose every record is foreign, so it cannot block the node\'s queue', async () => {
    ingest = await createIngestApp();
    const response = await ingest.send(batchOf(NODE_ID, [chargerRecord('CH-0002', 1), chargerRecord('CH-0003', 1)]));

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ accepted: 0, rejected: [{ id: 'CH-0002:c4arg3:1', reason: 'device_not_allowed' }, { id: 'CH-0003:c4arg3:1', reason: 'device_not_allowed' }] });
    expect(ingest.bus.produced.map((m) => m.topic)).toEqual([BUS_TOPICS.deadLetters, BUS_TOPICS.deadLetters]);
  });
});

describe('POST /v1/batches: bad input', () => {
  it('dead-letters invalid records with their original bytes and reason, and produces the valid ones', async () => {
    ingest = await createIngestApp();
    const valid = [vehicleRecord('VH-0001', 1), vehicleRecord('VH-0001', 4)];
    const impossible = vehicleRecord('VH-0001', 2);
    impossible.payload.socPct = 140;
    const missingField: Record<string, unknown> = { ...vehicleRecord('VH-0001', 3) };
    delete missingField.priority;
    const lines = [
      JSON.stringify(valid[0]),
      JSON.stringify(impossible),
      '{"id":"VH-0001:b00t1:9", not json',
      JSON.stringify(missingField),
      JSON.stringify(valid[1]),
    ];
    const response = await ingest.send(batchOfLines(NODE_ID, lines));

    expect(response.statusCode).toBe(200);
    const answer = response.json<{ accepted: number; rejected: Array<{ id: string; reason: string }> }>();
    expect(answer.accepted).toBe(2);
    expect(answer.rejected.map((r) => [r.id, r.reason])).toEqual([
      ['VH-0001:b00t1:2', 'impossible_value'],
      ['line:4', 'record_corrupt'],
      ['VH-0001:b00t1:3', 'schema_violation'],
    ]);
    const accepted = ingest.bus.produced.filter((m) => m.topic === BUS_TOPICS.vehicleTelemetry);
    expect(accepted.map((m) => m.headers['fw-id'])).toEqual(valid.map((r) => r.id));
    const deadLetters = ingest.bus.produced.filter((m) => m.topic === BUS_TOPICS.deadLetters);
    expect(deadLetters.map((m) => m.value.toString())).toEqual([lines[1], lines[2], lines[3]]);
    expect(deadLetters.map((m) => m.headers['fw-reason'])).toEqual(['impossible_value', 'record_corrupt', 'schema_violation']);
  });

  it('answers 400 batch_corrupt to a body that is not gzip and dead-letters the raw body', async () => {
    ingest = await createIngestApp();
    const garbage = Buffer.from('this is not gzip at all');
    const batch = { ...batchOf(NODE_ID, [vehicleRecord('VH-0001', 1)]), body: garbage };
    const response = await ingest.send(batch);

    expect(response.statusCode).toBe(400);
    expect(errorOf(response.body)).toMatchObject({ code: 'FW_BATCH_CORRUPT', reason: 'batch_corrupt' });
    expect(ingest.bus.produced).toHaveLength(1);
    expect(ingest.bus.produced[0]).toMatchObject({ topic: BUS_TOPICS.deadLetters, key: NODE_ID, value: garbage });
    expect(ingest.bus.produced[0]!.headers['fw-reason']).toBe('batch_corrupt');
  });

  it('answers 400 batch_corrupt to a gzip body whose header line is wrong', async () => {
    ingest = await createIngestApp();
    const body = gzipSync(`{"batchId":"nope"}\n${JSON.stringify(vehicleRecord('VH-0001', 1))}\n`);
    const response = await ingest.send({ ...batchOf(NODE_ID, [vehicleRecord('VH-0001', 1)]), body });

    expect(response.statusCode).toBe(400);
    expect(errorOf(response.body).reason).toBe('batch_corrupt');
    expect(ingest.bus.produced.map((m) => m.topic)).toEqual([BUS_TOPICS.deadLetters]);
  });

  it('cuts a dead letter larger than the limit and says how long the original was', async () => {
    ingest = await createIngestApp({ maxDeadLetterBytes: 100 });
    const line = `{"id":"VH-0001:b00t1:1","padding":"${'x'.repeat(300)}"}`;
    await ingest.send(batchOfLines(NODE_ID, [line, JSON.stringify(vehicleRecord('VH-0001', 2))]));

    const [deadLetter] = ingest.bus.produced.filter((m) => m.topic === BUS_TOPICS.deadLetters);
    expect(deadLetter!.value).toEqual(Buffer.from(line).subarray(0, 100));
    expect(deadLetter!.headers[TRUNCATED_HEADER]).toBe(String(Buffer.byteLength(line)));
  });

  it('refuses an idempotency key that is not the batch id (400) and a non-NDJSON body (415)', async () => {
    ingest = await createIngestApp();
    const batch = batchOf(NODE_ID, [vehicleRecord('VH-0001', 1)]);
    const wrongKey = await ingest.send(batch, { 'idempotency-key': 'something-else' });
    const wrongType = await ingest.send(batch, { 'content-type': 'application/json' });

    expect([wrongKey.statusCode, errorOf(wrongKey.body).code]).toEqual([400, 'FW_REQUEST_INVALID']);
    expect([wrongType.statusCode, errorOf(wrongType.body).code]).toEqual([415, 'FW_UNSUPPORTED_MEDIA_TYPE']);
    expect(ingest.bus.produced).toHaveLength(0);
  });
});
