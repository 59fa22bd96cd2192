import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FleetRecord } from '@fleetwire/protocol';
import type { RecordBuffer } from '../buffer/buffer.js';
import { createTestStore, type TestStore } from '../../test/support/buffer-store.js';
import { eventRecord, telemetryRecord, telemetryRecords } from '../../test/support/telemetry-records.js';
import { createTestReceiver, type TestReceiver } from '../../test/support/uplink-receiver.js';
import { createUplink, type Uplink, type UplinkOptions } from './uplink.js';

/** The machine is shared and slow at times: allow a few seconds for background work. */
const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5000, interval: 20 });

let store: TestStore;
let receiver: TestReceiver;
let buffer: RecordBuffer;
const running: Uplink[] = [];

beforeEach(async () => {
  store = createTestStore();
  receiver = await createTestReceiver({ token: 'secret-token' });
  buffer = store.open({ liveWindowMs: 0 });
});
afterEach(async () => {
  for (const uplink of running.splice(0)) await uplink.stop();
  await receiver.close();
  await store.cleanup();
});

function startUplink(options: Partial<UplinkOptions> = {}, registry = new Registry()): { uplink: Uplink; registry: Registry } {
  const uplink = createUplink({
    buffer,
    url: receiver.url,
    nodeId: 'node-1',
    token: 'secret-token',
    metrics: registry,
    logger: pino({ level: 'silent' }),
    baseBackoffMs: 20,
    maxBackoffMs: 100,
    idleDelayMs: 10,
    ...options,
  });
  uplink.start();
  running.push(uplink);
  return { uplink, registry };
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return match?.value ?? 0;
}

const ids = (records: FleetRecord[]) => records.map((r) => r.id);

describe('uplink', () => {
  it('delivers everything once the cloud comes back, critical first, and deletes only then', async () => {
    const critical = Array.from({ length: 5 }, (_, i) => eventRecord(i, 'critical'));
    const alerts = Array.from({ length: 5 }, (_, i) => eventRecord(10 + i, 'alert'));
    const records = telemetryRecords(40);
    await buffer.append([...records.slice(0, 20), ...alerts, ...critical, ...records.slice(20)]);
    await receiver.down();
    const { registry } = startUplink({ maxBatchRecords: 5 });
    await eventually(async () => expect(await metricValue(registry, 'fleetwire_uplink_errors_total', { class: 'network' })).toBeGreaterThanOrEqual(2));
    expect(buffer.stats().records).toBe(50);
    await receiver.up();
    await eventually(() => expect(buffer.stats().records).toBe(0));
    expect(receiver.ids).toEqual([...ids(critical), ...ids(alerts), ...ids(records)]);
    expect(receiver.batches.every((b) => b.authorization === 'Bearer secret-token' && b.idempotencyKey === b.batchId)).toBe(true);
    expect(await metricValue(registry, 'fleetwire_uplink_records_total', { outcome: 'accepted' })).toBe(50);
  });

  it('honours retry-after on 503', async () => {
    await buffer.append(telemetryRecords(3));
    receiver.fail({ kind: 'status', status: 503, retryAfter: '1' });
    startUplink({ random: () => 1 });
    await eventually(() => expect(buffer.stats().records).toBe(0));
    const [refused, accepted] = receiver.attempts;
    expect(refused?.outcome).toBe(503);
    expect(accepted?.outcome).toBe(200);
    expect(accepted!.at - refused!.at).toBeGreaterThanOrEqual(950);
    expect(receiver.ids).toEqual(ids(telemetryRecords(3)));
  });

  it('splits a refused batch until the poison record is alone, quarantines it, delivers the rest', async () => {
    const records = telemetryRecords(16);
    await buffer.append(records);
    receiver.poison.add(records[5]!.id);
    const { registry } = startUplink({ maxBatchRecords: 16 });
    await eventually(() => expect(buffer.stats().records).toBe(0));
    expect([...receiver.ids].sort()).toEqual(ids(records).filter((_, i) => i !== 5).sort());
    expect(buffer.stats().quarantined).toBe(1);
    const [row] = store.peek<{ reason: string; bytes: Buffer }[]>('SELECT reason, bytes FROM quarantine');
    expect(row?.reason).toBe('batch_corrupt');
    expect(JSON.parse(row!.bytes.toString('utf8'))).toEqual(records[5]);
    expect(await metricValue(registry, 'fleetwire_uplink_records_total', { outcome: 'quarantined' })).toBe(1);
    // 16 → 8 (400) → 4 ok, 4 (400) → 2 (400) → 1 ok, 1 (400, quarantined); 2 ok; 8 ok
    expect(receiver.attempts.map((a) => a.outcome)).toEqual([400, 400, 200, 400, 400, 200, 400, 200, 200]);
  });

  it('keeps a batch whose request died mid-way and sends it again', async () => {
    const records = telemetryRecords(10);
    await buffer.append(records);
    receiver.fail({ kind: 'stall' });
    const { registry } = startUplink({ baseBackoffMs: 200, maxBackoffMs: 200, random: () => 1 });
    await eventually(() => expect(receiver.attempts).toHaveLength(1));
    await receiver.down();
    await eventually(async () => expect(await metricValue(registry, 'fleetwire_uplink_errors_total', { class: 'network' })).toBe(1));
    expect(buffer.stats().records).toBe(10);
    await receiver.up();
    await eventually(() => expect(buffer.stats().records).toBe(0));
    expect(receiver.ids).toEqual(ids(records));
  });

  it('does not retry records the cloud rejected in a 200 answer', async () => {
    const bad = { ...telemetryRecord(1), payload: { ...telemetryRecord(1).payload, socPct: 150 } } as FleetRecord;
    await buffer.append([telemetryRecord(0), bad, telemetryRecord(2)]);
    const { registry } = startUplink();
    await eventually(() => expect(buffer.stats().records).toBe(0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.attempts).toHaveLength(1);
    expect(receiver.ids).toEqual([telemetryRecord(0).id, telemetryRecord(2).id]);
    expect(await metricValue(registry, 'fleetwire_uplink_records_total', { outcome: 'rejected' })).toBe(1);
    expect(await metricValue(registry, 'fleetwire_uplink_rejected_records_total', { reason: 'impossible_value' })).toBe(1);
  });

  it('keeps the data and backs off long when the token is refused', async () => {
    await buffer.append(telemetryRecords(4));
    receiver.token = 'rotated';
    const { registry } = startUplink({ authBackoffMs: 60_000 });
    await eventually(async () => expect(await metricValue(registry, 'fleetwire_uplink_errors_total', { class: 'auth' })).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.attempts.map((a) => a.outcome)).toEqual([401]);
    expect(buffer.stats().records).toBe(4);
    expect(await metricValue(registry, 'fleetwire_uplink_backoff_seconds', {})).toBeGreaterThanOrEqual(30);
  });

  it('resumes after a restart with what the buffer still holds', async () => {
    await buffer.append(telemetryRecords(6));
    receiver.fail({ kind: 'stall' });
    const { uplink } = startUplink({ stopGraceMs: 50 });
    await eventually(() => expect(receiver.attempts).toHaveLength(1));
    await uplink.stop();
    await buffer.close();
    buffer = store.open({ liveWindowMs: 0 });
    expect(buffer.stats().records).toBe(6);
    startUplink();
    await eventually(() => expect(buffer.stats().records).toBe(0));
    expect(receiver.ids).toEqual(ids(telemetryRecords(6)));
  });

  it('exposes backlog gauges and the ledger from buffer.stats() at scrape time', async () => {
    await buffer.append([eventRecord(1, 'critical'), telemetryRecord(1), telemetryRecord(1)]);
    await receiver.down();
    const { registry } = startUplink();
    const text = await registry.metrics();
    expect(text).toContain('fleetwire_buffer_backlog_records{priority="critical"} 1');
    expect(text).toContain('fleetwire_buffer_backlog_records{priority="telemetry"} 1');
    expect(text).toContain('fleetwire_buffer_ledger_records_total{reason="duplicate"} 1');
  });
});
