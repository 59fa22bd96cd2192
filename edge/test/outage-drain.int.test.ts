/**
 * The cloud is unreachable for a while: the agent keeps acknowledging and storing; when the
 * receiver is back, nothing is lost and the backlog drains critical events first, then alerts,
 * then telemetry.
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

const TOKEN = 'node-token-outage';
const bed = agentTestBed(TOKEN);
const devices = vehicles(2, 'VH-O');

describe('edge agent during a cloud outage', () => {
  it('loses nothing and drains the backlog in priority order', async () => {
    const dir = tempDir('outage');
    await bed.receiver.down();
    const agent = await bed.startAgent(
      {
        nodeId: 'node-outage',
        dataDir: 'data',
        devices: { registryFile: await writeRegistry(dir, devices) },
        mqtt: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        cloud: { url: bed.receiver.url, token: TOKEN },
        uplink: { maxBatchRecords: 50, baseBackoffMs: 50, maxBackoffMs: 300 },
      },
      dir,
    );
    const http = agent.addresses.http as string;
    const [a, b] = devices as [(typeof devices)[0], (typeof devices)[0]];
    const [clientA, clientB] = await Promise.all(devices.map((d) => connectDevice(agent.addresses.mqtt as string, d)));

    // Telemetry from both vehicles; vehicle A's SoC falls through 20 % once (one BatteryLow alert),
    // at a pace a battery can (half a point per minute of device time), or the physics would refuse it.
    const start = Date.now() - 150 * 60_000;
    const telemetryA = Array.from({ length: 150 }, (_, seq) => ({
      topic: telemetryTopic(a),
      bytes: vehiclePayload(a.id, 'out1', seq, { socPct: Math.max(15, 60 - seq / 2), ts: start + seq * 60_000 }),
    }));
    const telemetryB = Array.from({ length: 150 }, (_, seq) => ({ topic: telemetryTopic(b), bytes: vehiclePayload(b.id, 'out1', seq, { socPct: 70 }) }));
    const [ackedA, ackedB] = await Promise.all([publishWindowed(clientA!, telemetryA, 16), publishWindowed(clientB!, telemetryB, 16)]);
    // Critical events published last, after all the telemetry.
    const trips = Array.from({ length: 8 }, (_, i) => tripEndedPayload(a.id, 'out1', 1000 + i));
    const ackedTrips = await publishWindowed(clientA!, trips.map((t) => ({ topic: eventsTopic(a), bytes: t.bytes })), 4);
    expect([ackedA.size, ackedB.size, ackedTrips.size]).toEqual([150, 150, 8]);

    // Everything is stored while the cloud is away: 300 telemetry + 8 trips + 1 BatteryLow.
    await waitFor(async () => (await readMetric(http, 'fleetwire_uplink_errors_total')) >= 2, 20_000, 'the uplink to hit the outage');
    expect(await readMetric(http, 'fleetwire_buffer_backlog_records')).toBe(309);
    expect(await readMetric(http, 'fleetwire_buffer_backlog_records', { priority: 'critical' })).toBe(8);
    expect(bed.receiver.ids).toEqual([]);

    await bed.receiver.up();
    await waitFor(async () => (await readMetric(http, 'fleetwire_buffer_backlog_records')) === 0, 30_000, 'the backlog to drain');

    const received = new Set(bed.receiver.ids);
    const expectedTelemetry = [...telemetryA.keys()].map((seq) => `${a.id}:out1:${seq}`).concat([...telemetryB.keys()].map((seq) => `${b.id}:out1:${seq}`));
    expect(expectedTelemetry.filter((id) => !received.has(id))).toEqual([]);
    expect(trips.map((t) => t.id).filter((id) => !received.has(id))).toEqual([]);
    expect(received.size).toBe(309);

    // Order of first arrival: every critical event before any alert, every alert before any telemetry.
    const firstIndex = new Map<string, number>();
    bed.receiver.ids.forEach((id, index) => firstIndex.has(id) || firstIndex.set(id, index));
    const tripIds = new Set(trips.map((t) => t.id));
    const isTelemetry = (id: string): boolean => id.includes(':out1:') && !tripIds.has(id);
    const alertIds = [...received].filter((id) => id.startsWith('node-outage:'));
    expect(alertIds).toHaveLength(1);
    const lastCritical = Math.max(...[...tripIds].map((id) => firstIndex.get(id) as number));
    const alertAt = firstIndex.get(alertIds[0] as string) as number;
    const firstTelemetry = Math.min(...[...received].filter(isTelemetry).map((id) => firstIndex.get(id) as number));
    expect(lastCritical).toBeLessThan(alertAt);
    expect(alertAt).toBeLessThan(firstTelemetry);

    await Promise.all([clientA!.endAsync(), clientB!.endAsync()]);
  });
});
