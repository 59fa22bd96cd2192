import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../bus/bus.js';
import { createEmbeddedBus } from '../../bus/embedded/index.js';
import { onTopic, vehicleSample } from './test-records.js';
import { createTsdbSink } from './tsdb-sink.js';

// A stand-in TSDB: answers writes with the scripted statuses in turn (then 204) and keeps the bodies.
function fakeTsdb(statuses: number[]): Promise<{ url: string; writes: string[]; server: Server }> {
  const writes: string[] = [];
  const server = createServer((request, response) => {
    if (request.url === '/health') return void response.writeHead(200).end('OK');
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      writes.push(Buffer.concat(chunks).toString());
      response.writeHead(statuses.shift() ?? 204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, writes, server });
  }));
}

let dir = '';
let bus: Bus;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-tsdb-sink-'));
  bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), retryInitialMs: 10 });
});
afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

const T = Date.UTC(2026, 0, 1);
const sinkOn = (url: string, metrics = new Registry()) =>
  createTsdbSink({ bus, url, org: 'fleet', bucket: 'telemetry', token: 'secret', metrics, logger: pino({ level: 'silent' }), topics: ['telemetry'] });
const metricValue = async (registry: Registry, name: string, labels: Record<string, string> = {}) =>
  (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;

describe('tsdb sink', () => {
  it('re-delivers a batch the TSDB failed to take and commits it once written', async () => {
    const tsdb = await fakeTsdb([503]);
    const metrics = new Registry();
    const sink = sinkOn(tsdb.url, metrics);
    await bus.produce([1, 2, 3].map((seq) => onTopic('telemetry', vehicleSample('VH-1', seq, T + seq))));
    await sink.start();
    await expect.poll(() => tsdb.writes.length).toBe(2);
    expect(tsdb.writes[1]).toBe(tsdb.writes[0]);
    expect(tsdb.writes[1]?.split('\n')).toHaveLength(3);
    await expect.poll(() => metricValue(metrics, 'fleetwire_tsdb_points_written_total')).toBe(3);
    expect(await metricValue(metrics, 'fleetwire_tsdb_write_errors_total', { kind: 'retryable' })).toBe(1);
    await sink.stop();

    const again = sinkOn(tsdb.url);
    await again.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tsdb.writes).toHaveLength(2);
    await again.stop();
    tsdb.server.close();
  });

  it('skips a batch whose data the TSDB refuses, and goes on with the next', async () => {
    const tsdb = await fakeTsdb([400]);
    const metrics = new Registry();
    const sink = sinkOn(tsdb.url, metrics);
    await sink.start();
    await bus.produce([onTopic('telemetry', vehicleSample('VH-1', 1, T))]);
    await expect.poll(() => tsdb.writes.length).toBe(1);
    await bus.produce([onTopic('telemetry', vehicleSample('VH-1', 2, T + 1))]);
    await expect.poll(() => metricValue(metrics, 'fleetwire_tsdb_points_written_total')).toBe(1);
    expect(tsdb.writes).toHaveLength(2);
    expect(await metricValue(metrics, 'fleetwire_tsdb_write_errors_total', { kind: 'rejected' })).toBe(1);
    await sink.stop();
    tsdb.server.close();
  });

  it('is ready while the TSDB answers its health check', async () => {
    const tsdb = await fakeTsdb([]);
    const sink = sinkOn(tsdb.url);
    expect(await sink.ready()).toBe(true);
    await new Promise((resolve) => tsdb.server.close(resolve));
    expect(await sink.ready()).toBe(false);
  });
});
