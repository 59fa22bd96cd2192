/**
 * Live onboarding with the real agent process: the device registry is replaced while devices
 * are connected — by the file watcher, or on SIGHUP — only when the new file is valid whole. A
 * new device can connect at once, a revoked one (MQTT or OCPP) is disconnected, and the
 * connections of unchanged devices stay up.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { RPCClient } from 'ocpp-rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDevice, telemetryTopic, tempDir, vehiclePayload, vehicles, waitFor, writeRegistry, type TestDevice } from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

const TOKEN = 'node-token-onboarding';
const bed = agentTestBed(TOKEN);
const [KEPT, REVOKED, ADDED, LATE] = vehicles(4, 'VH-L') as [TestDevice, TestDevice, TestDevice, TestDevice];
const CHARGER: TestDevice = { id: 'CH-L1', kind: 'charger', password: 'charger-secret-l1' };
const clients: MqttClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.endAsync(true).catch(() => undefined);
});

async function connect(url: string, device: TestDevice): Promise<MqttClient> {
  const client = await connectDevice(url, device);
  clients.push(client);
  return client;
}

const closed = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

/** Hashes every device once; `write` then lists a subset, each device keeping its entry (and hash) as an operator's edit would. */
async function registryOf(dir: string, all: TestDevice[]) {
  const file = await writeRegistry(dir, all);
  const entries = (JSON.parse(readFileSync(file, 'utf8')) as { devices: Array<{ id: string }> }).devices;
  return {
    file,
    write: (devices: TestDevice[]) => writeFileSync(file, JSON.stringify({ devices: entries.filter((e) => devices.some((d) => d.id === e.id)) })),
  };
}

describe('live onboarding', () => {
  it('takes a changed registry file without a restart: added devices connect, revoked ones are cut, the others stay connected', async () => {
    const dir = tempDir('onboarding');
    const registry = await registryOf(dir, [KEPT, REVOKED, ADDED, CHARGER]);
    registry.write([KEPT, REVOKED, CHARGER]);
    const registryFile = registry.file;
    const agent = await bed.startAgent(
      {
        nodeId: 'node-onboarding',
        dataDir: 'data',
        devices: { registryFile },
        mqtt: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        cloud: { url: bed.receiver.url, token: TOKEN },
        ocpp: { enabled: true, host: '127.0.0.1', port: 0, idTagKey: 'onboarding-test-key-0123' },
      },
      dir,
    );
    const url = agent.addresses.mqtt as string;
    const kept = await connect(url, KEPT);
    const revoked = await connect(url, REVOKED);
    await expect(connectDevice(url, ADDED)).rejects.toThrow();
    const ocppOptions = { endpoint: agent.addresses.ocpp, identity: CHARGER.id, password: CHARGER.password, protocols: ['ocpp1.6'], reconnect: false };
    const charger = new RPCClient(ocppOptions as unknown as ConstructorParameters<typeof RPCClient>[0]);
    await charger.connect();
    const chargerClosed = new Promise<void>((resolve) => charger.once('close', () => resolve()));
    let keptClosed = false;
    kept.once('close', () => (keptClosed = true));

    // A broken file (a save caught half-way) changes nothing.
    writeFileSync(registryFile, '{"devices": [');
    await waitFor(() => agent.logs.some((line) => line.event === 'device_registry_reload_failed'), 10_000, 'the refused reload');
    await kept.publishAsync(telemetryTopic(KEPT), vehiclePayload(KEPT.id, 'live', 1), { qos: 1 });

    // KEPT unchanged, REVOKED and the charger gone, ADDED new.
    const revokedClosed = closed(revoked);
    registry.write([KEPT, ADDED]);
    await revokedClosed;
    await chargerClosed;
    await connect(url, ADDED);
    await kept.publishAsync(telemetryTopic(KEPT), vehiclePayload(KEPT.id, 'live', 2), { qos: 1 });
    expect(keptClosed).toBe(false);
    await expect(connectDevice(url, REVOKED)).rejects.toThrow();
    const reloads = agent.logs.filter((line) => line.event === 'device_registry_reloaded');
    expect(reloads.at(-1)).toMatchObject({ devices: 2, stale: expect.arrayContaining([REVOKED.id, CHARGER.id]) });
    expect(reloads.at(-1)?.stale).toHaveLength(2);
    await waitFor(() => ['live:1', 'live:2'].every((suffix) => bed.receiver.ids.includes(`${KEPT.id}:${suffix}`)), 20_000, 'the kept device reaching the cloud');
    expect(await agent.kill('SIGTERM')).toBe(0);
  });

  it('reloads on SIGHUP when the file is not watched', async () => {
    const dir = tempDir('onboarding-hup');
    const registry = await registryOf(dir, [KEPT, LATE]);
    registry.write([KEPT]);
    const registryFile = registry.file;
    const agent = await bed.startAgent(
      { nodeId: 'node-onboarding-hup', dataDir: 'data', devices: { registryFile, watch: false }, mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } },
      dir,
    );
    const url = agent.addresses.mqtt as string;
    const kept = await connect(url, KEPT);
    registry.write([KEPT, LATE]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expect(connectDevice(url, LATE)).rejects.toThrow();
    agent.child.kill('SIGHUP');
    await waitFor(() => agent.logs.some((line) => line.event === 'device_registry_reloaded'), 10_000, 'the reload on SIGHUP');
    await connect(url, LATE);
    await kept.publishAsync(telemetryTopic(KEPT), vehiclePayload(KEPT.id, 'hup', 1), { qos: 1 });
    expect(kept.connected).toBe(true);
    expect(await agent.kill('SIGTERM')).toBe(0);
  });
});
