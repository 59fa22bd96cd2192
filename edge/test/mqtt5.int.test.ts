/**
 * MQTT 5 devices (aedes 2): the same authentication, pipeline and chain of custody as MQTT
 * 3.1.1, with v5's answers — a refused publish gets PUBACK reason 0x87 and the connection stays
 * up (3.1.1 has no such code: there the connection is closed), a refused CONNECT a v5 reason code.
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { readMetric, telemetryTopic, tempDir, vehiclePayload, vehicles, waitFor, writeRegistry, type TestDevice } from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

const TOKEN = 'node-token-mqtt5';
const bed = agentTestBed(TOKEN);
const [DEVICE, OTHER] = vehicles(2, 'VH-V5') as [TestDevice, TestDevice];

describe('MQTT 5 clients', () => {
  it('connect, publish durably, get 0x87 for a forbidden topic without losing the connection, and are refused with a v5 reason code', async () => {
    const dir = tempDir('mqtt5');
    const agent = await bed.startAgent(
      {
        nodeId: 'node-mqtt5',
        dataDir: 'data',
        devices: { registryFile: await writeRegistry(dir, [DEVICE, OTHER]) },
        mqtt: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        cloud: { url: bed.receiver.url, token: TOKEN },
      },
      dir,
    );
    const url = agent.addresses.mqtt as string;
    const refused = await mqtt
      .connectAsync(url, { protocolVersion: 5, clientId: DEVICE.id, username: DEVICE.id, password: 'wrong', reconnectPeriod: 0 })
      .then(() => 'connected', (error: Error & { code?: number }) => error.code);
    expect(refused).toBe(135);

    const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: DEVICE.id, username: DEVICE.id, password: DEVICE.password, reconnectPeriod: 0 });
    const published = await client.publishAsync(telemetryTopic(DEVICE), vehiclePayload(DEVICE.id, 'v5', 1), { qos: 1 });
    expect((published as { reasonCode?: number } | undefined)?.reasonCode ?? 0).toBe(0);
    await client.publishAsync(telemetryTopic(DEVICE), Buffer.from('{"v":1,'), { qos: 1 });
    const forbidden = await client.publishAsync(telemetryTopic(OTHER), vehiclePayload(OTHER.id, 'v5', 1), { qos: 1 }).then(
      () => 'acknowledged',
      (error: Error & { code?: number }) => error.code,
    );
    expect(forbidden).toBe(135);
    expect(client.connected).toBe(true);
    await client.publishAsync(telemetryTopic(DEVICE), vehiclePayload(DEVICE.id, 'v5', 2), { qos: 1 });

    await waitFor(() => ['v5:1', 'v5:2'].every((s) => bed.receiver.ids.includes(`${DEVICE.id}:${s}`)), 20_000, 'both readings at the receiver');
    expect(bed.receiver.ids.filter((id) => id.startsWith(OTHER.id))).toEqual([]);
    const http = agent.addresses.http as string;
    expect(await readMetric(http, 'fleetwire_intake_rejected_total', { reason: 'malformed_json' })).toBe(1);
    expect(await readMetric(http, 'fleetwire_intake_rejected_total', { reason: 'topic_forbidden' })).toBe(1);
    await client.endAsync();
    expect(await agent.kill('SIGTERM')).toBe(0);
  });
});
