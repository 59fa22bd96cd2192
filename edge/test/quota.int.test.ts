/**
 * A byte quota far below the offline backlog forces the buffer to compact and then evict
 * telemetry. Every critical event must survive, and the loss ledger read from /metrics must
 * account for exactly the acknowledged telemetry that never reached the receiver.
 */
import { describe, expect, it } from 'vitest';
import {
  connectDevice,
  eventsTopic,
  publishWindowed,
  readMetric,
  telemetryTopic,
  tempDir,
  tripEndedPayload,
  vehiclePayload,
  vehicles,
  waitFor,
  writeRegistry,
} from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

const TOKEN = 'node-token-quota';
const bed = agentTestBed(TOKEN);
const [vehicle] = vehicles(1, 'VH-Q');
const LOSS_REASONS = ['compacted', 'evicted_quota', 'evicted_disk', 'expired'];

describe('edge agent over its disk quota', () => {
  it('keeps every critical event and ledgers every telemetry record it dropped', async () => {
    const device = vehicle!;
    const dir = tempDir('quota');
    await bed.receiver.down();
    const agent = await bed.startAgent(
      {
        nodeId: 'node-quota',
        dataDir: 'data',
        devices: { registryFile: await writeRegistry(dir, [device]) },
        mqtt: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        cloud: { url: bed.receiver.url, token: TOKEN },
        uplink: { maxBatchRecords: 100, baseBackoffMs: 50, maxBackoffMs: 300 },
        // About 100 telemetry records fit; the disk floor is off so only the quota acts, and
        // with no live window every stored telemetry record may be compacted.
        buffer: { maxBytes: 64_000, minFreeDiskBytes: 0, liveWindowMs: 0 },
      },
      dir,
    );
    const http = agent.addresses.http as string;
    const client = await connectDevice(agent.addresses.mqtt as string, device);

    // 600 telemetry records with a critical TripEnded after every 60.
    const trips: string[] = [];
    const messages: Array<{ topic: string; bytes: Buffer }> = [];
    for (let seq = 0; seq < 600; seq++) {
      messages.push({ topic: telemetryTopic(device), bytes: vehiclePayload(device.id, 'q1', seq) });
      if (seq % 60 === 59) {
        const trip = tripEndedPayload(device.id, 'q1', 10_000 + seq);
        trips.push(trip.id);
        messages.push({ topic: eventsTopic(device), bytes: trip.bytes });
      }
    }
    const acked = await publishWindowed(client, messages, 8);
    expect(acked.size).toBe(messages.length);
    const dropped = async (): Promise<number> => {
      let sum = 0;
      for (const reason of LOSS_REASONS) sum += await readMetric(http, 'fleetwire_buffer_ledger_records_total', { reason });
      return sum;
    };
    expect(await dropped()).toBeGreaterThan(0);
    expect(await readMetric(http, 'fleetwire_buffer_ledger_records_total', { reason: 'compacted' })).toBeGreaterThan(0);
    expect(await readMetric(http, 'fleetwire_buffer_ledger_records_total', { reason: 'evicted_quota' })).toBeGreaterThan(0);
    expect(await readMetric(http, 'fleetwire_buffer_backlog_records', { priority: 'critical' })).toBe(10);

    await bed.receiver.up();
    await waitFor(async () => (await readMetric(http, 'fleetwire_buffer_backlog_records')) === 0, 30_000, 'the backlog to drain');

    const received = new Set(bed.receiver.ids);
    expect(trips.filter((id) => !received.has(id))).toEqual([]);
    const telemetryIds = Array.from({ length: 600 }, (_, seq) => `${device.id}:q1:${seq}`);
    const missing = telemetryIds.filter((id) => !received.has(id));
    expect(missing.length).toBeGreaterThan(0);
    // The ledger explains every acknowledged telemetry record that did not arrive — no more, no less.
    expect(await dropped()).toBe(missing.length);
    expect(received.size).toBe(messages.length - missing.length);

    await client.endAsync();
  });
});
