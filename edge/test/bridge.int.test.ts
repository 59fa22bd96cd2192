/**
 * Bridge mode against the real Mosquitto from the test servers: devices publish to Mosquitto,
 * the agent holds a persistent QoS 1 session there and acknowledges each message only after
 * commit. Killing the agent with SIGKILL mid-stream loses nothing: Mosquitto keeps what the
 * agent had not acknowledged and redelivers it to the restarted agent.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { publishWindowed, readMetric, telemetryTopic, tempDir, vehiclePayload, waitFor } from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

const TOKEN = 'node-token-bridge';
const bed = agentTestBed(TOKEN);
const RUN = randomBytes(3).toString('hex');
const device = { id: `VH-BR${RUN}`, kind: 'vehicle' as const };
const bridgeClientId = `fleetwire-edge-test-${RUN}`;
const COUNT = 400;

afterAll(async () => {
  // Drop the persistent session this test left on the shared broker.
  const cleanup = await mqtt.connectAsync(inject('mqttUrl'), { clientId: bridgeClientId, clean: true, reconnectPeriod: 0 });
  await cleanup.endAsync();
});

describe('edge agent in bridge mode', () => {
  it('takes device messages from Mosquitto and loses none across a kill -9 of the agent', async () => {
    const dir = tempDir('bridge');
    const config = {
      nodeId: 'node-bridge',
      dataDir: 'data',
      mqtt: { enabled: false },
      bridge: { enabled: true, url: inject('mqttUrl'), clientId: bridgeClientId, topics: [telemetryTopic(device)] },
      http: { host: '127.0.0.1', port: 0 },
      cloud: { url: bed.receiver.url, token: TOKEN },
      uplink: { maxBatchRecords: 50, baseBackoffMs: 50, maxBackoffMs: 300 },
    };
    const first = await bed.startAgent(config, dir);
    await waitFor(async () => (await fetch(`${first.addresses.http}/readyz`)).status === 200, 20_000, 'the bridge subscription');

    // The device talks to Mosquitto only; Mosquitto acknowledges it. The agent is killed while
    // it works through the first half, and the second half is published while it is down.
    const publisher = await mqtt.connectAsync(inject('mqttUrl'), { clientId: `${device.id}-pub`, reconnectPeriod: 0 });
    const messages = Array.from({ length: COUNT }, (_, seq) => ({ topic: telemetryTopic(device), bytes: vehiclePayload(device.id, 'br1', seq) }));
    const firstHalf = await publishWindowed(publisher, messages.slice(0, COUNT / 2), 8);
    await waitFor(() => bed.receiver.ids.length >= 20, 30_000, 'the first uploads');
    await first.kill('SIGKILL');
    const atKill = new Set(bed.receiver.ids).size;
    expect(atKill).toBeLessThan(COUNT / 2);
    const secondHalf = await publishWindowed(publisher, messages.slice(COUNT / 2), 8);
    expect(firstHalf.size + secondHalf.size).toBe(COUNT);
    await publisher.endAsync();

    const second = await bed.startAgent(config, dir);
    const expected = messages.map((_, seq) => `${device.id}:br1:${seq}`);
    await waitFor(() => expected.every((id) => bed.receiver.ids.includes(id)), 60_000, 'every message at the receiver');
    const received = new Set(bed.receiver.ids);
    expect(expected.filter((id) => !received.has(id))).toEqual([]);
    expect(received.size).toBe(COUNT);
    expect(await readMetric(second.addresses.http as string, 'fleetwire_intake_messages_total', { kind: 'vehicle_telemetry' })).toBeGreaterThan(0);
    await second.kill('SIGTERM');
  });
});
