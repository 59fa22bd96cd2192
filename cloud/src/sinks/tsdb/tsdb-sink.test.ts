import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { BUS_TOPICS } from '@fleetwire/protocol';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage, DeliveredMessage } from '../../bus/bus.js';
import { createEmbeddedBus } from '../../bus/embedded/index.js';
import { CloudError } from '../../errors.js';
import { fakeTsdbServer, poisonWriter } from '../../../test/support/fake-tsdb.js';
import type { InfluxWriter } from './influx-writer.js';
import { onTopic, vehicleSample } from '../../../test/support/tsdb-records.js';
import { createTsdbSink } from './tsdb-sink.js';

let dir = '';
let bus: Bus;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-tsdb-sink-'));
  // One partition: every test record is in the same consumed batch, whatever its vehicle.
  bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), retryInitialMs: 10, partitions: 1 });
});
afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

const T = Date.UTC(2026, 0, 1);
const silent = pino({ level: 'silent' });
const sinkOn = (url: string, extra: { metrics?: Registry; writer?: InfluxWriter; logger?: Logger; on?: Bus } = {}) =>
  createTsdbSink({
    bus: extra.on ?? bus, url, org: 'fleet', bucket: 'telemetry', token: '', metrics: extra.metrics ?? new Registry(),
    logger: extra.logger ?? silent, topics: ['telemetry'], ...(extra.writer === undefined ? {} : { writer: extra.writer }),
  });
const metricValue = async (registry: Registry, name: string, labels: Record<string, string> = {}) =>
  (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything on the dead-letter topic, read by a group of its own. */
async function deadLetters(): Promise<{ messages: DeliveredMessage[]; close(): Promise<void> }> {
  const messages: DeliveredMessage[] = [];
  const subscription = await bus.subscribe({
    groupId: `dlq-reader-${Math.random()}`, topics: [BUS_TOPICS.deadLetters], fromBeginning: true,
    handle: async (batch) => void messages.push(...batch),
  });
  return { messages, close: () => subscription.close() };
}

/** A second sink in the same group sees nothing left to write: the first one committed everything. */
async function expectAllCommitted(): Promise<void> {
  const writer = poisonWriter('nothing');
  const again = sinkOn('http://127.0.0.1:1', { writer });
  await again.start();
  await pause(200);
  expect(writer.attempts).toBe(0);
  await again.stop();
}

describe('tsdb sink', () => {
  it('re-delivers a batch the TSDB failed to take and commits it once written', async () => {
    const tsdb = await fakeTsdbServer([503]);
    const metrics = new Registry();
    const sink = sinkOn(tsdb.url, { metrics });
    await bus.produce([1, 2, 3].map((seq) => onTopic('telemetry', vehicleSample('VH-1', seq, T + seq))));
    await sink.start();
    await expect.poll(() => tsdb.writes.length).toBe(2);
    expect(tsdb.writes[1]).toBe(tsdb.writes[0]);
    expect(tsdb.writes[1]?.split('\n')).toHaveLength(3);
    await expect.poll(() => metricValue(metrics, 'fleetwire_tsdb_points_written_total')).toBe(3);
    expect(await metricValue(metrics, 'fleetwire_tsdb_write_errors_total', { kind: 'retryable' })).toBe(1);
    await sink.stop();
    await expectAllCommitted();
    tsdb.server.close();
  });

  it('writes the neighbours of a point the TSDB refuses, dead-letters that record with its original bytes, then commits', async () => {
    const writer = poisonWriter('vehicle_id=VH-poison');
    const metrics = new Registry();
    const produced: BusMessage[] = [];
    for (let seq = 0; seq < 40; seq++) produced.push(onTopic('telemetry', vehicleSample(seq === 7 || seq === 30 ? 'VH-poison' : 'VH-1', seq, T + seq)));
    await bus.produce(produced);
    const sink = sinkOn('http://127.0.0.1:1', { metrics, writer });
    await sink.start();
    const dlq = await deadLetters();
    await expect.poll(() => dlq.messages.length).toBe(2);
    await sink.stop();

    // The 38 good points are written, each once, none of the poisoned ones; the halving took
    // far fewer writes than one per record.
    expect(writer.written).toHaveLength(38);
    expect(writer.attempts).toBeLessThanOrEqual(1 + 2 * 2 * 6);
    expect(new Set(writer.written).size).toBe(38);
    expect(writer.written.some((line) => line.includes('VH-poison'))).toBe(false);
    expect(await metricValue(metrics, 'fleetwire_tsdb_points_written_total')).toBe(38);
    expect(await metricValue(metrics, 'fleetwire_tsdb_records_dead_lettered_total', { reason: 'tsdb_rejected' })).toBe(2);
    expect(await metricValue(metrics, 'fleetwire_tsdb_write_errors_total', { kind: 'rejected' })).toBeGreaterThan(0);

    // Each dead letter is the record's original bytes, with the ingest's dead-letter headers.
    const [first, second] = dlq.messages;
    expect(first?.value.equals(produced[7]!.value)).toBe(true);
    expect(second?.value.equals(produced[30]!.value)).toBe(true);
    expect(first?.key).toBe('VH-poison');
    expect(first?.headers).toMatchObject({
      'fw-kind': 'dead_letter', 'fw-reason': 'tsdb_rejected', 'fw-source': 'VH-poison', 'fw-id': 'VH-poison:e1:7',
      'fw-origin': 'telemetry/0/7',
    });
    expect(first?.headers['fw-detail']).toContain('HTTP 400');
    await dlq.close();
    await expectAllCommitted();
  });

  it('dead-letters a bus value that does not decode and writes the rest of its batch', async () => {
    const writer = poisonWriter('nothing');
    const metrics = new Registry();
    const garbage: BusMessage = { topic: 'telemetry', key: 'VH-1', value: Buffer.from('{not json'), headers: { 'fw-id': 'VH-1:e1:5' } };
    await bus.produce([onTopic('telemetry', vehicleSample('VH-1', 4, T)), garbage, onTopic('telemetry', vehicleSample('VH-1', 6, T + 2))]);
    const sink = sinkOn('http://127.0.0.1:1', { metrics, writer });
    await sink.start();
    const dlq = await deadLetters();
    await expect.poll(() => dlq.messages.length).toBe(1);
    await sink.stop();
    expect(writer.written).toHaveLength(2);
    expect(dlq.messages[0]?.value.toString()).toBe('{not json');
    expect(dlq.messages[0]?.headers).toMatchObject({ 'fw-reason': 'malformed_json', 'fw-source': 'VH-1', 'fw-id': 'VH-1:e1:5' });
    expect(await metricValue(metrics, 'fleetwire_tsdb_records_dead_lettered_total', { reason: 'malformed_json' })).toBe(1);
    await dlq.close();
    await expectAllCommitted();
  });

  it('commits nothing until the dead letters are stored: a bus failure there re-delivers the batch', async () => {
    let failDeadLetters = 1;
    const flaky: Bus = {
      ...bus,
      produce: async (messages) => {
        if (messages.some((m) => m.topic === BUS_TOPICS.deadLetters) && failDeadLetters-- > 0) {
          throw new CloudError('FW_BUS_UNAVAILABLE', 'bus down', { canRetry: true });
        }
        return bus.produce(messages);
      },
      subscribe: (options) => bus.subscribe(options),
    };
    const writer = poisonWriter('VH-poison');
    await bus.produce([onTopic('telemetry', vehicleSample('VH-1', 1, T)), onTopic('telemetry', vehicleSample('VH-poison', 2, T + 1))]);
    const sink = sinkOn('http://127.0.0.1:1', { writer, on: flaky });
    await sink.start();
    const dlq = await deadLetters();
    await expect.poll(() => dlq.messages.length).toBe(1);
    await sink.stop();
    // The good point was written twice (the replay overwrites it); the dead letter is there once.
    expect(writer.written).toHaveLength(2);
    expect(failDeadLetters).toBeLessThan(0);
    await pause(100);
    expect(dlq.messages).toHaveLength(1);
    await dlq.close();
    await expectAllCommitted();
  });

  it('puts the TSDB’s own words about a refused point (HTTP 400 from the write API) into the dead letter', async () => {
    const tsdb = await fakeTsdbServer([], (body) => body.includes('VH-poison')
      ? { status: 400, json: { code: 'invalid', message: 'partial write: field type conflict on soc_pct' } }
      : { status: 204 });
    const metrics = new Registry();
    await bus.produce([1, 2, 3].map((seq) => onTopic('telemetry', vehicleSample(seq === 2 ? 'VH-poison' : 'VH-1', seq, T + seq))));
    const sink = sinkOn(tsdb.url, { metrics });
    await sink.start();
    const dlq = await deadLetters();
    await expect.poll(() => dlq.messages.length).toBe(1);
    await sink.stop();
    expect(dlq.messages[0]?.headers['fw-detail']).toBe('tsdb write failed (HTTP 400): partial write: field type conflict on soc_pct');
    expect(await metricValue(metrics, 'fleetwire_tsdb_points_written_total')).toBe(2);
    // Whole batch, halves [1,2] and [3], then [1] and [2] alone.
    expect(tsdb.writes).toHaveLength(5);
    await dlq.close();
    tsdb.server.close();
  });

  it('sends the URL’s credentials as basic auth and never logs them', async () => {
    const tsdb = await fakeTsdbServer([]);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }));
    const url = tsdb.url.replace('//', '//fleet:s3cret-pw@');
    const sink = sinkOn(url, { logger });
    expect(await sink.ready()).toBe(true);
    await sink.start();
    await bus.produce([onTopic('telemetry', vehicleSample('VH-1', 1, T))]);
    await expect.poll(() => tsdb.writes.length).toBe(1);
    await sink.stop();

    const basic = `Basic ${Buffer.from('fleet:s3cret-pw').toString('base64')}`;
    expect(tsdb.headers.map((h) => h.authorization)).toEqual([basic, basic]);
    expect(lines.join('')).toContain('tsdb_sink_started');
    expect(lines.join('')).toContain('"url":"http://[redacted]@127.0.0.1:');
    expect(lines.join('')).not.toContain('s3cret-pw');
    tsdb.server.close();
  });

  it('refuses a URL it cannot parse without repeating the password', () => {
    expect(() => sinkOn('http://fleet:pa/ss@tsdb.example:8428')).toThrow(
      expect.objectContaining({ code: 'FW_SINK_CONFIG_INVALID', message: expect.not.stringContaining('pa/ss') }),
    );
  });

  it('is ready while the TSDB answers its health check', async () => {
    const tsdb = await fakeTsdbServer([]);
    const sink = sinkOn(tsdb.url);
    expect(await sink.ready()).toBe(true);
    await new Promise((resolve) => tsdb.server.close(resolve));
    expect(await sink.ready()).toBe(false);
  });
});
