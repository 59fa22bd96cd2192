import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBatch, deriveBatchId, encodeBatch, type DecodeBatchOptions } from './batch.js';
import { ProtocolError } from './errors.js';
import { FIXTURE_NODE_ID, chargerRecordFixture, eventRecordFixture, vehicleRecordFixture } from '../test/support/fixtures.js';

const LIMITS: DecodeBatchOptions = { contentEncoding: 'gzip', maxBytes: 1_000_000, maxDecompressedBytes: 4_000_000 };

function ndjson(lines: Array<string | Buffer>): Buffer {
  return gzipSync(Buffer.concat(lines.flatMap((line) => [Buffer.from(line), Buffer.from('\n')])));
}

describe('encodeBatch / decodeBatch', () => {
  it('round-trips records of every kind with header and HTTP headers', () => {
    const records = [vehicleRecordFixture(), chargerRecordFixture(), eventRecordFixture()];
    const batch = encodeBatch({ nodeId: FIXTURE_NODE_ID, createdAt: 1_700_000_000_000, records });
    expect(batch.count).toBe(3);
    expect(batch.batchId).toBe(deriveBatchId(FIXTURE_NODE_ID, records.map((r) => r.id)));
    expect(batch.headers).toEqual({
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
      'idempotency-key': batch.batchId,
    });
    const decoded = decodeBatch(batch.body, LIMITS);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.header).toEqual({ batchId: batch.batchId, nodeId: FIXTURE_NODE_ID, createdAt: 1_700_000_000_000, count: 3 });
    expect(decoded.value.entries.map((entry) => entry.ok && entry.record)).toEqual(records);
    expect(decoded.value.entries[0]!.raw.toString()).toBe(JSON.stringify(records[0]));
  });

  it('forwards already serialised records byte for byte', () => {
    const record = vehicleRecordFixture();
    const json = JSON.stringify(record);
    const batch = encodeBatch({ nodeId: 'node-2', createdAt: 1, records: [{ id: record.id, json }] });
    const decoded = decodeBatch(batch.body, LIMITS);
    expect(decoded.ok && decoded.value.entries[0]!.raw.toString()).toBe(json);
  });

  it('derives a batch id that is stable across re-sends and differs for any other set of records', () => {
    const a = [vehicleRecordFixture(), chargerRecordFixture(), eventRecordFixture()];
    const first = encodeBatch({ nodeId: 'node-1', createdAt: 1, records: a });
    const resent = encodeBatch({ nodeId: 'node-1', createdAt: 999, records: a });
    // Same first and last record, one record fewer between them: another batch, another key.
    const sameEnds = encodeBatch({ nodeId: 'node-1', createdAt: 1, records: [a[0]!, a[2]!] });
    const otherNode = encodeBatch({ nodeId: 'node-2', createdAt: 1, records: a });
    expect(resent.batchId).toBe(first.batchId);
    expect(sameEnds.batchId).not.toBe(first.batchId);
    expect(otherNode.batchId).not.toBe(first.batchId);
    expect(first.batchId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses to encode an empty batch or a bad node id', () => {
    expect(() => encodeBatch({ nodeId: 'node-1', createdAt: 1, records: [] })).toThrow(ProtocolError);
    expect(() => encodeBatch({ nodeId: 'node 1', createdAt: 1, records: [vehicleRecordFixture()] })).toThrow(ProtocolError);
    expect(() => encodeBatch({ nodeId: 'node-1', createdAt: 1, records: [{ id: 'a:b:1', json: '{\n}' }] })).toThrow(
      ProtocolError,
    );
  });

  it('decodes plain NDJSON when there is no content-encoding', () => {
    const batch = encodeBatch({ nodeId: 'node-1', createdAt: 1, records: [vehicleRecordFixture()] });
    const plain = decodeBatch(Buffer.from(`{"batchId":"${batch.batchId}","nodeId":"node-1","createdAt":1,"count":1}\n${JSON.stringify(vehicleRecordFixture())}`), {
      ...LIMITS,
      contentEncoding: undefined,
    });
    expect(plain.ok && plain.value.entries[0]!.ok).toBe(true);
  });
});

describe('decodeBatch: bad neighbours', () => {
  it('one corrupt line yields record_corrupt with its bytes while the others decode', () => {
    const good = [vehicleRecordFixture(), eventRecordFixture()];
    const corrupt = Buffer.from('{"id":"VH-0001:b00t1:43","kind":"vehic');
    const header = JSON.stringify({ batchId: 'a'.repeat(32), nodeId: 'node-1', createdAt: 1, count: 3 });
    const decoded = decodeBatch(ndjson([header, JSON.stringify(good[0]), corrupt, JSON.stringify(good[1])]), LIMITS);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const [first, second, third] = decoded.value.entries;
    expect(first).toMatchObject({ ok: true, record: good[0] });
    expect(second).toMatchObject({ ok: false, reason: 'record_corrupt' });
    expect(second!.raw.equals(corrupt)).toBe(true);
    expect(third).toMatchObject({ ok: true, record: good[1] });
  });

  it('a parseable but invalid record keeps its validation reason and claimed id', () => {
    const bad = vehicleRecordFixture();
    bad.payload.socPct = 300;
    const header = JSON.stringify({ batchId: 'b'.repeat(32), nodeId: 'node-1', createdAt: 1, count: 2 });
    const decoded = decodeBatch(ndjson([header, JSON.stringify(bad), JSON.stringify(chargerRecordFixture())]), LIMITS);
    expect(decoded.ok && decoded.value.entries.map((e) => (e.ok ? 'ok' : `${e.reason}:${e.id}`))).toEqual([
      `impossible_value:${bad.id}`,
      'ok',
    ]);
  });

  it('invalid UTF-8 in a line is record_corrupt', () => {
    const header = JSON.stringify({ batchId: 'c'.repeat(32), nodeId: 'node-1', createdAt: 1, count: 1 });
    const decoded = decodeBatch(ndjson([header, Buffer.from([0x7b, 0xc3, 0x28, 0x7d])]), LIMITS);
    expect(decoded.ok && decoded.value.entries[0]).toMatchObject({ ok: false, reason: 'record_corrupt' });
  });
});

describe('decodeBatch: whole-batch refusals', () => {
  let bomb: Buffer;
  beforeAll(() => {
    bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024), { level: 1 });
  });

  const reasonOf = (body: Uint8Array, options: Partial<DecodeBatchOptions> = {}) => {
    const verdict = decodeBatch(body, { ...LIMITS, ...options });
    return verdict.ok ? 'ok' : verdict.reason;
  };

  it('corrupt gzip → batch_corrupt', () => {
    const body = encodeBatch({ nodeId: 'node-1', createdAt: 1, records: [vehicleRecordFixture()] }).body;
    expect(reasonOf(Buffer.from('definitely not gzip'))).toBe('batch_corrupt');
    expect(reasonOf(body.subarray(0, body.length - 10))).toBe('batch_corrupt');
  });

  it('a body over maxBytes → batch_too_large before inflating', () => {
    const body = encodeBatch({ nodeId: 'node-1', createdAt: 1, records: [vehicleRecordFixture()] }).body;
    expect(reasonOf(body, { maxBytes: body.length - 1 })).toBe('batch_too_large');
  });

  it('a 50 MB zip bomb → batch_too_large without inflating it all', () => {
    expect(bomb.length).toBeLessThan(LIMITS.maxBytes);
    const verdict = decodeBatch(bomb, { ...LIMITS, maxDecompressedBytes: 1_000_000 });
    expect(verdict).toEqual({ ok: false, reason: 'batch_too_large', detail: 'inflated body exceeds 1000000 bytes' });
    // That inflation stops at the limit (rather than after 50 MB) is pinned in batch-limits.test.ts.
  });

  it.each([
    ['an unsupported encoding', Buffer.from('x'), { contentEncoding: 'br' }],
    ['an empty body', gzipSync(''), {}],
    ['a header that is not JSON', ndjson(['{"batchId":']), {}],
    ['a header missing nodeId', ndjson([JSON.stringify({ batchId: 'd'.repeat(32), createdAt: 1, count: 0 })]), {}],
    [
      'a count that disagrees with the lines',
      ndjson([JSON.stringify({ batchId: 'e'.repeat(32), nodeId: 'n', createdAt: 1, count: 2 }), JSON.stringify(vehicleRecordFixture())]),
      {},
    ],
  ] as const)('%s → batch_corrupt', (_name, body, options) => {
    expect(reasonOf(body, options)).toBe('batch_corrupt');
  });

  it('plain NDJSON over maxDecompressedBytes → batch_too_large', () => {
    expect(reasonOf(Buffer.alloc(2000, 0x20), { contentEncoding: 'identity', maxDecompressedBytes: 1000 })).toBe('batch_too_large');
  });
});
