/**
 * No acknowledged message is lost: devices publish QoS 1 while the uplink forwards to a real
 * HTTP receiver; the agent is killed with SIGKILL mid-stream and restarted on the same data
 * directory. Every message that got a PUBACK must reach the receiver, and after dedupe by id
 * the receiver holds each exactly once and nothing that was never published.
 */
import { describe, expect, it } from 'vitest';
import { connectDevice, publishWindowed, readMetric, telemetryTopic, tempDir, vehiclePayload, vehicles, waitFor, writeRegistry } from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

const TOKEN = 'node-token-kill-restart';
const bed = agentTestBed(TOKEN);
const devices = vehicles(3, 'VH-K');
const PER_DEVICE = 600;

describe('edge agent under SIGKILL', () => {
  it('delivers every PUBACKed message exactly once (after dedupe) across a kill -9 and restart', async () => {
    const dir = tempDir('kill');
    const config = {
      nodeId: 'node-kill',
      dataDir: 'data',
      devices: { registryFile: await writeRegistry(dir, devices) },
      mqtt: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      cloud: { url: bed.receiver.url, token: TOKEN },
      uplink: { maxBatchRecords: 100, baseBackoffMs: 50, maxBackoffMs: 500 },
    };
    const first = await bed.startAgent(config, dir);

    const published = new Map<string, number>();
    const acked = new Set<string>();
    const clients = await Promise.all(devices.map((device) => connectDevice(first.addresses.mqtt as string, device)));
    let killed = false;
    const streams = devices.map((device, index) => {
      const messages = Array.from({ length: PER_DEVICE }, (_, seq) => {
        published.set(`${device.id}:run1:${seq}`, seq);
        return { topic: telemetryTopic(device), bytes: vehiclePayload(device.id, 'run1', seq) };
      });
      return publishWindowed(clients[index]!, messages, 16, (seq) => {
        acked.add(`${device.id}:run1:${seq}`);
        // Kill mid-stream: once a good part is acknowledged and some of it already uploaded.
        if (!killed && acked.size >= 450 && bed.receiver.ids.length > 0) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      });
    });
    // A killed broker leaves the rest unacknowledged: each publish fails on the closed connection.
    await Promise.race([Promise.all(streams), waitFor(() => killed, 60_000, 'the kill').then(() => new Promise((r) => setTimeout(r, 500)))]);
    expect(killed).toBe(true);
    await first.kill('SIGKILL');
    await Promise.all(clients.map((client) => client.endAsync(true)));
    const ackedBeforeKill = new Set(acked);
    expect(ackedBeforeKill.size).toBeGreaterThanOrEqual(450);
    expect(ackedBeforeKill.size).toBeLessThan(devices.length * PER_DEVICE);

    const second = await bed.startAgent(config, dir);
    // Done when everything acknowledged arrived, or when the restarted agent has nothing left to send.
    await waitFor(
      async () => [...ackedBeforeKill].every((id) => bed.receiver.ids.includes(id)) || (await readMetric(second.addresses.http as string, 'fleetwire_buffer_backlog_records')) === 0,
      60_000,
      'the backlog to drain',
    );

    const received = new Set(bed.receiver.ids);
    const missing = [...ackedBeforeKill].filter((id) => !received.has(id));
    expect(missing).toEqual([]);
    // Nothing the devices never sent; duplicates (re-sent batches) collapse by id.
    const phantoms = [...received].filter((id) => !published.has(id));
    expect(phantoms).toEqual([]);
    expect(received.size).toBeGreaterThanOrEqual(ackedBeforeKill.size);
    // A graceful stop after all that: exit code 0 and the stop logged.
    expect(await second.kill('SIGTERM')).toBe(0);
    expect(second.logs.some((line) => line.event === 'edge_agent_stopped')).toBe(true);
  });
});
