import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, vehicleRecord, zipBomb } from '../../test/support/batches.js';
import { createIngestApp, NODE_ID, type IngestApp } from '../../test/support/ingest-app.js';

let ingest: IngestApp;

afterEach(async () => {
  ingest.bus.releaseHeld();
  await ingest.app.close();
});

const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; reason: string } }).error;
const records = (from: number, count: number) => Array.from({ length: count }, (_, i) => vehicleRecord('VH-0001', from + i));

/** Resolves once the fake bus holds `count` produce calls open. */
async function heldCalls(ingestApp: IngestApp, count: number): Promise<void> {
  for (let i = 0; i < 200 && ingestApp.bus.heldCount < count; i++) await new Promise((r) => setTimeout(r, 5));
  expect(ingestApp.bus.heldCount).toBe(count);
}

/** Resolves once the queued-batches gauge reads `count`. */
async function queuedBatches(ingestApp: IngestApp, count: number): Promise<void> {
  const line = `fleetwire_ingest_queued_batches ${count}`;
  let text = '';
  for (let i = 0; i < 200 && !text.includes(line); i++) {
    text = (await ingestApp.app.inject({ method: 'GET', url: '/metrics' })).body;
    if (!text.includes(line)) await new Promise((r) => setTimeout(r, 5));
  }
  expect(text).toContain(line);
}

describe('POST /v1/batches: size limits', () => {
  it('answers 413 to a 5 GiB zip bomb without inflating it (inflation stops at the limit)', async () => {
    ingest = await createIngestApp({ maxDecompressedBytes: 1024 * 1024 });
    const bomb = zipBomb(5 * 1024);
    const response = await ingest.send({ ...batchOf(NODE_ID, records(1, 1)), body: bomb });

    expect(response.statusCode).toBe(413);
    expect(errorOf(response.body)).toMatchObject({ code: 'FW_BATCH_TOO_LARGE', reason: 'batch_too_large' });
    expect(ingest.bus.produced).toHaveLength(0);
  });

  it('answers 413 to a body over the body limit before decoding it', async () => {
    ingest = await createIngestApp({ maxBodyBytes: 2048 });
    const big = { ...batchOf(NODE_ID, records(1, 1)), body: Buffer.alloc(4096, 1) };
    const response = await ingest.send(big);

    expect(response.statusCode).toBe(413);
    expect(errorOf(response.body).reason).toBe('batch_too_large');
    expect(ingest.bus.produced).toHaveLength(0);
  });

  it('answers 413 to more records than maxRecords', async () => {
    ingest = await createIngestApp({ maxRecords: 3 });
    const response = await ingest.send(batchOf(NODE_ID, records(1, 4)));

    expect(response.statusCode).toBe(413);
    expect(ingest.bus.produced).toHaveLength(0);
  });
});

describe('POST /v1/batches: bus trouble and backpressure', () => {
  it('answers 503 with retry-after while the bus is down, and accepts the same batch once it is back', async () => {
    ingest = await createIngestApp({ retryAfterSeconds: { busUnavailable: 7 } });
    const batch = batchOf(NODE_ID, records(1, 2));
    ingest.bus.down = true;
    const refused = await ingest.send(batch);
    ingest.bus.down = false;
    const accepted = await ingest.send(batch);

    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('7');
    expect(errorOf(refused.body)).toMatchObject({ code: 'FW_BUS_UNAVAILABLE', reason: 'bus_unavailable' });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(ingest.bus.produced).toHaveLength(2);
  });

  it('answers 429 with retry-after when every produce slot and the queue are taken', async () => {
    ingest = await createIngestApp({ maxInFlight: 1, maxQueued: 1, retryAfterSeconds: { overloaded: 2 } });
    ingest.bus.hold = true;
    const first = ingest.send(batchOf(NODE_ID, records(1, 1)));
    await heldCalls(ingest, 1);
    const queued = ingest.send(batchOf(NODE_ID, records(2, 1)));
    await queuedBatches(ingest, 1);
    const refused = await ingest.send(batchOf(NODE_ID, records(3, 1)));

    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('2');
    expect(errorOf(refused.body).code).toBe('FW_INGEST_OVERLOADED');

    ingest.bus.hold = false;
    ingest.bus.releaseHeld();
    expect((await first).statusCode).toBe(200);
    expect((await queued).statusCode).toBe(200);
    expect(ingest.bus.produced.map((m) => m.headers['fw-id'])).toEqual(['VH-0001:b00t1:1', 'VH-0001:b00t1:2']);
  });

  it('answers 409 to a copy of a batch that is being produced right now, and produces it once', async () => {
    ingest = await createIngestApp({ maxInFlight: 2 });
    const batch = batchOf(NODE_ID, records(1, 3));
    ingest.bus.hold = true;
    const first = ingest.send(batch);
    await heldCalls(ingest, 1);
    const copy = await ingest.send(batch);

    expect(copy.statusCode).toBe(409);
    expect(copy.headers['retry-after']).toBe('1');
    expect(errorOf(copy.body).code).toBe('FW_BATCH_IN_PROGRESS');

    ingest.bus.releaseHeld();
    expect((await first).json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect(ingest.bus.produced).toHaveLength(3);
  });
});

describe('metrics and OpenAPI', () => {
  it('counts batches by outcome and rejected records by reason', async () => {
    ingest = await createIngestApp();
    const batch = batchOf(NODE_ID, [vehicleRecord('VH-0001', 1), vehicleRecord('VH-0002', 1)]);
    await ingest.send(batch);
    await ingest.send(batch);
    await ingest.send(batchOf(NODE_ID, [vehicleRecord('VH-0003', 1), { ...vehicleRecord('VH-0003', 2), source: { kind: 'vehicle', id: 'XX-1' } }]));
    await ingest.send(batch, { authorization: undefined });
    const text = (await ingest.app.inject({ method: 'GET', url: '/metrics' })).body;

    expect(text).toContain('fleetwire_ingest_batches_total{outcome="accepted"} 2');
    expect(text).toContain('fleetwire_ingest_batches_total{outcome="replayed"} 1');
    expect(text).toContain('fleetwire_ingest_batches_total{outcome="auth_missing"} 1');
    expect(text).toContain('fleetwire_ingest_records_total{outcome="accepted"} 3');
    expect(text).toContain('fleetwire_ingest_rejected_records_total{reason="device_not_allowed"} 1');
    expect(text).toMatch(/fleetwire_ingest_produce_duration_seconds_count 2/);
    expect(text).toContain('fleetwire_ingest_in_flight_batches 0');
  });

  it('describes the batch route and every answer it gives in /openapi.json', async () => {
    ingest = await createIngestApp();
    const document = (await ingest.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();

    expect(Object.keys(document.paths['/v1/batches']!.post!.responses).sort()).toEqual(
      ['200', '400', '401', '403', '409', '413', '415', '429', '503'],
    );
    expect(document.paths['/metrics']).toBeDefined();
  });
});
