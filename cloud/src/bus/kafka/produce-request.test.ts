import { produceV11, readRecordsBatch, Reader } from '@platformatic/kafka';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeProduceRequest, type EncodableMessage, type EncodeOptions } from './produce-request.js';

const NOW = 1_796_675_457_337;

function message(topic: string, partition: number, key: string | undefined, valueBytes: number, headers: Array<[string, string]>): EncodableMessage {
  return {
    topic,
    partition,
    ...(key === undefined ? {} : { key: Buffer.from(key) }),
    value: Buffer.alloc(valueBytes, `${topic}/${partition}/${key ?? '-'};`),
    headers: new Map(headers.map(([name, value]) => [Buffer.from(name), Buffer.from(value)])),
  };
}

/** The client's own bytes for the same request (it dates and normalises the messages it gets, so it gets copies). */
function clientRequest(acks: number, timeout: number, messages: EncodableMessage[], options: EncodeOptions): Buffer {
  const copies = messages.map((m) => ({ ...m }));
  return (produceV11.createRequest as (...args: unknown[]) => { buffer: Buffer })(acks, timeout, copies, options).buffer;
}

function sequences(next: Record<string, number>): EncodeOptions['sequences'] {
  return { getWithDefault: (key, fallback) => next[key] ?? fallback };
}

describe('encodeProduceRequest', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes the same bytes as the client for an idempotent send over topics and partitions, in message order', () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const messages = [
      message('fleetwire.telemetry.vehicle', 3, 'VH-1', 300, [['fw-id', 'VH-1:e:1'], ['fw-kind', 'vehicle_telemetry'], ['fw-schema', 'vehicle_telemetry.v1']]),
      message('fleetwire.dlq', 0, 'node-1', 90, [['fw-kind', 'dead_letter'], ['fw-reason', 'schema_violation']]),
      message('fleetwire.telemetry.vehicle', 1, 'VH-2', 20_000, []),
      message('fleetwire.telemetry.vehicle', 3, 'VH-7', 127, [['fw-id', 'VH-7:e:9']]),
      message('fleetwire.telemetry.vehicle', 3, undefined, 128, [['fw-id', 'x'.repeat(200)]]),
    ];
    const options: EncodeOptions = {
      producerId: 4711n,
      producerEpoch: 3,
      sequences: sequences({ 'fleetwire.telemetry.vehicle:3': 70_000, 'fleetwire.dlq:0': 5 }),
    };

    const lean = encodeProduceRequest(-1, 30_000, messages, options);

    expect(lean.equals(clientRequest(-1, 30_000, messages, options))).toBe(true);
  });

  it('writes record batches the client reads back with their keys, values, headers, offsets and base sequence', () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const messages = Array.from({ length: 300 }, (_, i) => message('t', 0, `VH-${i}`, 40 + i, [['fw-id', `VH-${i}:e:${i}`]]));

    const request = encodeProduceRequest(1, 1000, messages, { producerId: 9n, producerEpoch: 0, sequences: sequences({ 't:0': 12 }) });

    // transactional id (1) + acks (2) + timeout (4) + topic count (1) + name "t" (2) + partition count (1) + index (4) + records length (3: > 16 KiB)
    const reader = Reader.from(request.subarray(18));
    const batch = readRecordsBatch(reader);
    expect(batch.producerId).toBe(9n);
    expect(batch.firstSequence).toBe(12);
    expect(batch.firstTimestamp).toBe(BigInt(NOW));
    expect(batch.records).toHaveLength(300);
    const last = batch.records[299];
    expect(last?.offsetDelta).toBe(299);
    expect(last?.key?.toString()).toBe('VH-299');
    expect(last?.value?.equals(messages[299]?.value as Buffer)).toBe(true);
    expect(last?.headers.map(([k, v]) => [k?.toString(), v?.toString()])).toEqual([['fw-id', 'VH-299:e:299']]);
  });
});
