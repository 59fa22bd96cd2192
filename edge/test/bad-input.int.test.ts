/**
 * Bad input at the real agent process, from real MQTT clients (mqtt.js and mosquitto_pub):
 * unauthenticated clients are refused, a device publishing on another device's topic is cut
 * off, and malformed, oversized and impossible messages land in quarantine with their reason
 * and original bytes while valid neighbours on the same connection pass.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.js';
import { connectDevice, publishWindowed, readMetric, telemetryTopic, tempDir, vehiclePayload, vehicles, waitFor, writeRegistry } from './support/fleet.js';
import { agentTestBed } from './support/test-bed.js';

const run = promisify(execFile);
const TOKEN = 'node-token-bad-input';
const bed = agentTestBed(TOKEN);
const [good, other] = vehicles(2, 'VH-X');
let agent: AgentProcess;
let dir: string;
let mqttPort: string;

async function mosquittoPub(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', mqttPort, '-q', '1', ...args], { timeout: 10_000 });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? '' };
  }
}

beforeAll(async () => {
  dir = tempDir('bad-input');
  agent = await bed.startAgent(
    {
      nodeId: 'node-bad',
      dataDir: 'data',
      devices: { registryFile: await writeRegistry(dir, [good!, other!]) },
      mqtt: { host: '127.0.0.1', port: 0, maxPacketBytes: 16_384 },
      http: { host: '127.0.0.1', port: 0 },
      intake: { maxPayloadBytes: 4096 },
      cloud: { url: bed.receiver.url, token: TOKEN },
      uplink: { baseBackoffMs: 50, maxBackoffMs: 300 },
    },
    dir,
  );
  mqttPort = new URL(agent.addresses.mqtt as string).port;
});

describe('edge agent facing bad input', () => {
  it('refuses unauthenticated clients with CONNACK not authorized, counted by reason', async () => {
    const http = agent.addresses.http as string;
    const noCredentials = await mosquittoPub(['-i', good!.id, '-t', telemetryTopic(good!), '-m', '{}']);
    const wrongPassword = await mosquittoPub(['-i', good!.id, '-u', good!.id, '-P', 'not-the-password', '-t', telemetryTopic(good!), '-m', '{}']);
    const unknownDevice = await connectDevice(agent.addresses.mqtt as string, { id: 'VH-NOBODY', kind: 'vehicle', password: 'x' }).then(
      () => 'connected',
      (error: Error & { code?: number }) => error.code,
    );
    expect(noCredentials.code).not.toBe(0);
    expect(noCredentials.stderr).toMatch(/not authori[sz]ed/i);
    expect(wrongPassword.code).not.toBe(0);
    expect(unknownDevice).toBe(5);
    expect(await readMetric(http, 'fleetwire_intake_auth_refused_total', { reason: 'missing_credentials' })).toBe(1);
    expect(await readMetric(http, 'fleetwire_intake_auth_refused_total', { reason: 'bad_password' })).toBe(1);
    expect(await readMetric(http, 'fleetwire_intake_auth_refused_total', { reason: 'unknown_device' })).toBe(1);
  });

  it("cuts off a device publishing on another device's topic, without acknowledging it", async () => {
    const client = await connectDevice(agent.addresses.mqtt as string, good!);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    let acked = false;
    client.publish(telemetryTopic(other!), vehiclePayload(other!.id, 'x1', 1), { qos: 1 }, (error) => {
      acked = !error;
    });
    await closed;
    expect(acked).toBe(false);
    expect(await readMetric(agent.addresses.http as string, 'fleetwire_intake_rejected_total', { reason: 'topic_forbidden' })).toBe(1);
    await client.endAsync(true);
  });

  it('quarantines malformed, oversized and impossible messages with reasons while valid neighbours pass', async () => {
    const http = agent.addresses.http as string;
    const topic = telemetryTopic(good!);
    const client = await connectDevice(agent.addresses.mqtt as string, good!);
    const messages = [
      { topic, bytes: vehiclePayload(good!.id, 'b1', 1) },
      { topic, bytes: Buffer.from('{"v":1,"ts":') },
      { topic, bytes: vehiclePayload(good!.id, 'b1', 2) },
      { topic, bytes: Buffer.alloc(8000, 0x20) },
      { topic, bytes: vehiclePayload(good!.id, 'b1', 3, { socPct: 180 }) },
      { topic, bytes: vehiclePayload(good!.id, 'b1', 4, { odometerKm: 1 }) },
      { topic, bytes: vehiclePayload(good!.id, 'b1', 5, { speedKph: 'fast' }) },
      { topic, bytes: vehiclePayload(good!.id, 'b1', 6) },
    ];
    const acked = await publishWindowed(client, messages, 8);
    // Bad content is acknowledged (so the device does not resend it forever) and quarantined.
    expect(acked.size).toBe(messages.length);
    expect(client.connected).toBe(true);
    // A valid neighbour through a different client: mosquitto_pub.
    const viaMosquittoPub = await mosquittoPub(['-i', good!.id, '-u', good!.id, '-P', good!.password, '-t', topic, '-m', vehiclePayload(good!.id, 'b1', 7).toString()]);
    expect(viaMosquittoPub.code).toBe(0);
    const garbage = await mosquittoPub(['-i', good!.id, '-u', good!.id, '-P', good!.password, '-t', topic, '-m', 'garbage']);
    expect(garbage.code).toBe(0);

    const expected = ['VH-X000:b1:1', 'VH-X000:b1:2', 'VH-X000:b1:6', 'VH-X000:b1:7'];
    await waitFor(() => expected.every((id) => bed.receiver.ids.includes(id)), 20_000, 'the valid neighbours at the receiver');
    expect(bed.receiver.ids.filter((id) => id.startsWith('VH-X000:b1:')).sort()).toEqual(expected);

    for (const [reason, count] of Object.entries({ malformed_json: 2, payload_too_large: 1, impossible_value: 1, odometer_backwards: 1, schema_violation: 1 })) {
      expect({ reason, count: await readMetric(http, 'fleetwire_intake_rejected_total', { reason }) }).toEqual({ reason, count });
    }
    const db = new Database(join(dir, 'data', 'buffer.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT reason, topic, source_id AS sourceId, bytes FROM quarantine ORDER BY qid').all() as Array<{ reason: string; topic: string; sourceId: string; bytes: Buffer }>;
      expect(rows.map((row) => row.reason)).toEqual(['topic_forbidden', 'malformed_json', 'payload_too_large', 'impossible_value', 'odometer_backwards', 'schema_violation', 'malformed_json']);
      expect(rows[1]?.bytes.toString()).toBe('{"v":1,"ts":');
      expect(rows[2]?.bytes.length).toBe(8000);
      expect(rows[6]?.bytes.toString()).toBe('garbage');
      expect(rows.slice(1).every((row) => row.topic === topic && row.sourceId === good!.id)).toBe(true);
    } finally {
      db.close();
    }
    await client.endAsync();
  });

  it('drops a connection that announces a packet over the frame limit, and keeps serving others', async () => {
    const http = agent.addresses.http as string;
    const before = await readMetric(http, 'fleetwire_intake_rejected_total', { reason: 'payload_too_large' });
    const client = await connectDevice(agent.addresses.mqtt as string, good!);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(telemetryTopic(good!), Buffer.alloc(200_000, 0x41), { qos: 1 });
    await closed;
    expect(await readMetric(http, 'fleetwire_intake_rejected_total', { reason: 'payload_too_large' })).toBe(before + 1);
    await client.endAsync(true);
    const healthy = await fetch(`${http}/readyz`);
    expect(healthy.status).toBe(200);
    const again = await connectDevice(agent.addresses.mqtt as string, good!);
    await again.publishAsync(telemetryTopic(good!), vehiclePayload(good!.id, 'b2', 1), { qos: 1 });
    await again.endAsync();
  });
});
