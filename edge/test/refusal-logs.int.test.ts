/**
 * A sustained refusal must not flood the journal: with the free-disk floor far above the free
 * space every publish is refused (FW_BUFFER_FULL) and the devices reconnect and resend, as real
 * ones do. Before, the agent wrote an error with a stack trace per refused publish (186,084
 * lines in six minutes from 10 devices); now the state change is one line and repeats are
 * counted in a summary a minute.
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { readMetric, telemetryTopic, tempDir, vehiclePayload, vehicles, waitFor, writeRegistry } from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

const TOKEN = 'node-token-refusal-logs';
const bed = agentTestBed(TOKEN);
const devices = vehicles(10, 'VH-L');

describe('edge agent at its free-disk floor', () => {
  it('logs the refusal once however often the devices resend', async () => {
    const dir = tempDir('refusal-logs');
    const agent = await bed.startAgent(
      {
        nodeId: 'node-refusal-logs',
        dataDir: 'data',
        devices: { registryFile: await writeRegistry(dir, devices) },
        mqtt: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        cloud: { url: bed.receiver.url, token: TOKEN },
        // A floor no disk meets: nothing can be stored, every publish is refused.
        buffer: { minFreeDiskBytes: 2 ** 52 },
      },
      dir,
    );
    const linesAtStart = agent.logs.length;
    const http = agent.addresses.http as string;
    // Each refusal closes the connection unacknowledged; the client reconnects and resends.
    const clients = devices.map((device) =>
      mqtt.connect(agent.addresses.mqtt as string, { clientId: device.id, username: device.id, password: device.password, reconnectPeriod: 20, clean: false }),
    );
    for (const [i, client] of clients.entries()) {
      const device = devices[i]!;
      for (let seq = 0; seq < 5; seq++) client.publish(telemetryTopic(device), vehiclePayload(device.id, 'l1', seq), { qos: 1 });
    }
    const refusals = (): number => agent.logs.filter((line) => typeof line.event === 'string' && line.event.startsWith('intake_commit_failed')).length;
    // Every refusal closes a connection: enough rounds that a line per refusal would be hundreds.
    let closed = 0;
    for (const client of clients) client.on('close', () => (closed += 1));
    await waitFor(() => closed >= 300, 30_000, '300 refused publishes');
    await Promise.all(clients.map((client) => client.endAsync(true)));

    expect(await readMetric(http, 'fleetwire_intake_messages_total')).toBe(0);
    expect(refusals()).toBe(1);
    const first = agent.logs.find((line) => line.event === 'intake_commit_failed');
    expect(first).toMatchObject({ key: 'FW_BUFFER_FULL' });
    // Everything the agent said in those six seconds: a handful of lines, not one per publish.
    const said = agent.logs.slice(linesAtStart).map((line) => String(line.event ?? line.msg));
    expect(said.length, said.join(', ')).toBeLessThan(20);
  });
});
