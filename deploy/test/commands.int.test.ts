/**
 * Commands to vehicles over the real path: a business client → cloud (`POST /v1/commands`,
 * Kafka) → the edge agent as its own process (long-poll downlink, SQLite command store,
 * embedded MQTT broker) → simulated vehicles over MQTT → their acknowledgement back through the
 * edge buffer and the uplink → the outcome on the bus and in the command log.
 *
 * Cases: delivered (the simulated vehicle unlocks, VehicleUnlocked on the bus with the command
 * id as correlation id), duplicate (a resend with the same id is one command and one outcome;
 * the same id with other content is refused), device offline (a vehicle that reported and went
 * away fails `offline` at its deadline), expired (no edge took it before the deadline: never
 * handed out), unroutable; and the audit trail holds each command and outcome.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { issueClientToken, issueToken, resolveCloudConfig, startCloud } from '@fleetwire/cloud';
import { hashPassword } from '@fleetwire/edge';
import { startAgentProcess, type AgentProcess } from '@fleetwire/edge/testing';
import { BUS_TOPICS, DOWNLINK_COMMANDS_PATH, encodeBatch, fromBusValue, type EventRecord } from '@fleetwire/protocol';
import { createFleetSimulation, deviceRegistry, type FleetSimulation } from '@fleetwire/simulators';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fetchMetrics, sumMetric } from '../src/demo/metrics-text.js';
import { readBetween, topicEnds, type TopicOffsets } from './support/fleet-readback.js';
import { freePort, waitUntil } from './support/waiting.js';

interface CommandView {
  commandId: string;
  status: string;
  reason?: string;
  detail?: string;
  nodeId?: string;
  outcomeEventId?: string;
}

const run = randomUUID().slice(0, 8);
const nodeId = `cmd-${run}`;
const silentNodeId = `cmd-silent-${run}`;
const offlineVehicle = `VH-OFF-${run}`;
const silentVehicle = `VH-SIL-${run}`;
const dir = mkdtempSync(join(tmpdir(), 'fleetwire-commands-'));
const stops: Array<() => Promise<void>> = [];
let cloudUrl: string;
let clientToken: string;
let silentNodeToken: string;
let edge: AgentProcess;
let fleet: FleetSimulation;
let vehicleId: string;
let before: TopicOffsets;
const brokers = inject('kafkaBrokers');

async function send(body: Record<string, unknown>, waitMs = 0): Promise<{ status: number; json: CommandView & { error?: { code: string } } }> {
  const response = await fetch(`${cloudUrl}/v1/commands?waitMs=${waitMs}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${clientToken}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as CommandView & { error?: { code: string } } };
}

async function commandEvents(commandIds: readonly string[]): Promise<EventRecord[]> {
  const after = await topicEnds(brokers, [BUS_TOPICS.events]);
  const read = await readBetween(brokers, before, after);
  const wanted = new Set(commandIds);
  return read.flatMap((message) => {
    const record = fromBusValue(message.value);
    return record.ok && record.value.kind === 'event' && wanted.has(record.value.payload.correlationId ?? '') ? [record.value] : [];
  });
}

beforeAll(async () => {
  before = await topicEnds(brokers, [BUS_TOPICS.events]);
  const node = issueToken(nodeId);
  const silent = issueToken(silentNodeId);
  silentNodeToken = silent.token;
  const client = issueClientToken(`ops-${run}`);
  clientToken = client.token;
  const cloud = await startCloud(
    resolveCloudConfig({
      dataDir: join(dir, 'cloud'),
      logLevel: 'warn',
      http: { host: '127.0.0.1', port: 0 },
      bus: { kind: 'kafka', brokers },
      auth: { nodes: [{ id: nodeId, devices: ['VH-*'], tokens: [node.entry] }, { id: silentNodeId, devices: [silentVehicle], tokens: [silent.entry] }] },
      businessEvents: { clients: [{ id: `ops-${run}`, eventTypes: ['VehicleBooked'], commandTypes: ['UnlockVehicle', 'LockVehicle'], tokens: [client.entry] }] },
      commands: { sweepIntervalMs: 100 },
    }),
  );
  cloudUrl = cloud.address;
  stops.push(() => cloud.stop());

  const mqttPort = await freePort();
  // No bookings: the vehicles stay parked, so nothing but the test moves their locks.
  fleet = createFleetSimulation({ mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, vehicles: 2, chargers: 0, seed: 4242, speed: 1, fleetSecret: randomUUID(), settings: { bookingsPerHour: 0 } });
  vehicleId = fleet.credentials()[0]!.id;
  const registry = await deviceRegistry(fleet.credentials(), (password) => hashPassword(password));
  registry.devices.push({ id: offlineVehicle, kind: 'vehicle', passwordHash: await hashPassword('offline-secret') });
  const registryFile = join(dir, 'devices.json');
  writeFileSync(registryFile, JSON.stringify(registry));
  edge = await startAgentProcess(
    { nodeId, dataDir: join(dir, 'edge'), cloud: { url: cloudUrl, token: node.token }, devices: { registryFile }, mqtt: { host: '127.0.0.1', port: mqttPort }, http: { host: '127.0.0.1', port: 0 } },
    dir,
  );
  stops.push(async () => void (await edge.kill('SIGTERM')));
  await fleet.start();
  stops.push(() => fleet.stop({ drainMs: 0 }));

  // The offline vehicle reports once through this edge, then goes away.
  const gone = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: offlineVehicle, username: offlineVehicle, password: 'offline-secret', protocolVersion: 4 });
  await gone.publishAsync(`fleetwire/v1/vehicle/${offlineVehicle}/telemetry`, JSON.stringify({ v: 1, ts: Date.now(), epoch: 'b1', seq: 1, deviceId: offlineVehicle, socPct: 70 }), { qos: 1 });
  await gone.endAsync();

  // Routed once the edge has delivered what the vehicles sent: its backlog is empty after they reported.
  await waitUntil('the edge to deliver the first readings', async () => {
    const text = await fetchMetrics(`${edge.addresses.http}/metrics`);
    return sumMetric(text, 'fleetwire_intake_messages_total') > 2 && sumMetric(text, 'fleetwire_buffer_backlog_records') === 0;
  }, 30_000);
}, 120_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('commands to vehicles', () => {
  it('delivered: the simulated vehicle unlocks and the caller gets VehicleUnlocked within its wait', async () => {
    const commandId = `unlock-${run}`;
    const started = performance.now();
    const { status, json } = await send({ commandId, type: 'UnlockVehicle', vehicleId, bookingId: `bk-${run}`, timeoutMs: 20_000 }, 20_000);
    const elapsedMs = performance.now() - started;
    expect(status).toBe(200);
    expect(json).toMatchObject({ commandId, status: 'succeeded', nodeId });
    console.log(`command delivered: POST → outcome in ${elapsedMs.toFixed(0)} ms (cloud → edge long poll → MQTT → ack → buffer → uplink → Kafka → command log)`);

    await waitUntil('the outcome on the bus', async () => (await commandEvents([commandId])).some((r) => r.payload.type === 'VehicleUnlocked'), 20_000);
    const events = await commandEvents([commandId]);
    const byType = (type: string) => [...new Set(events.filter((r) => r.payload.type === type).map((r) => r.id))];
    expect(byType('UnlockVehicle')).toHaveLength(1);
    expect(byType('CommandAcknowledged')).toHaveLength(1);
    expect(byType('VehicleUnlocked')).toEqual([json.outcomeEventId]);
    expect(byType('CommandFailed')).toHaveLength(0);
    const unlocked = events.find((r) => r.payload.type === 'VehicleUnlocked')!;
    expect(unlocked.source).toEqual({ kind: 'edge', id: nodeId });
    expect(unlocked.payload).toMatchObject({ subject: { kind: 'vehicle', id: vehicleId }, data: { vehicleId, bookingId: `bk-${run}`, method: 'remote' } });
    expect(fleet.model.world.vehicles.find((v) => v.id === vehicleId)?.locked).toBe(false);
  });

  it('duplicate: a resend with the same id is the same command with one outcome; other content under the id is refused', async () => {
    const commandId = `lock-${run}`;
    const body = { commandId, type: 'LockVehicle', vehicleId, timeoutMs: 20_000 };
    const [first, second] = await Promise.all([send(body, 20_000), send(body, 20_000)]);
    expect(first.json.status).toBe('succeeded');
    expect(second.json).toMatchObject({ commandId, status: 'succeeded', outcomeEventId: first.json.outcomeEventId });
    const third = await send(body);
    expect([third.status, third.json.status]).toEqual([200, 'succeeded']);
    const conflict = await send({ ...body, vehicleId: fleet.credentials()[1]!.id });
    expect([conflict.status, conflict.json.error?.code]).toEqual([409, 'FW_COMMAND_CONFLICT']);

    await waitUntil('the outcome on the bus', async () => (await commandEvents([commandId])).some((r) => r.payload.type === 'VehicleLocked'), 20_000);
    const ids = new Set((await commandEvents([commandId])).filter((r) => r.payload.type !== 'CommandAcknowledged').map((r) => `${r.payload.type}:${r.id}`));
    expect([...ids].map((id) => id.split(':')[0]).sort()).toEqual(['LockVehicle', 'VehicleLocked']);
    expect(fleet.model.world.vehicles.find((v) => v.id === vehicleId)?.locked).toBe(true);
  });

  it('device offline: a vehicle that reported and went away fails offline at its deadline, through the edge', async () => {
    const commandId = `offline-${run}`;
    const { status, json } = await send({ commandId, type: 'UnlockVehicle', vehicleId: offlineVehicle, bookingId: `bk-off-${run}`, timeoutMs: 1500 }, 15_000);
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: 'failed', reason: 'offline', nodeId, detail: 'the vehicle was not connected before the deadline' });
    await waitUntil('the failure on the bus', async () => (await commandEvents([commandId])).some((r) => r.payload.type === 'CommandFailed'), 20_000);
    const failed = (await commandEvents([commandId])).filter((r) => r.payload.type === 'CommandFailed');
    expect(new Set(failed.map((r) => r.id)).size).toBe(1);
    expect(failed[0]!.source).toEqual({ kind: 'edge', id: nodeId });
  });

  it('expired: a command no edge node asked for before its deadline is failed by the cloud and never handed out', async () => {
    // The silent node reports the vehicle once, then never polls.
    const reading = { id: `${silentVehicle}:b1:1`, kind: 'vehicle_telemetry', source: { kind: 'vehicle', id: silentVehicle }, priority: 'telemetry', deviceTime: Date.now(), receivedAt: Date.now(), payload: { v: 1, ts: Date.now(), socPct: 50 } };
    const batch = encodeBatch({ nodeId: silentNodeId, createdAt: Date.now(), records: [reading as never] });
    const stored = await fetch(`${cloudUrl}/v1/batches`, { method: 'POST', headers: { ...batch.headers, authorization: `Bearer ${silentNodeToken}` }, body: batch.body });
    expect(stored.status).toBe(200);

    const commandId = `expired-${run}`;
    const accepted = await send({ commandId, type: 'UnlockVehicle', vehicleId: silentVehicle, bookingId: `bk-exp-${run}`, timeoutMs: 500 });
    expect([accepted.status, accepted.json.status, accepted.json.nodeId]).toEqual([202, 'pending', silentNodeId]);
    const polled = await fetch(`${cloudUrl}/v1/commands/${commandId}?waitMs=10000`, { headers: { authorization: `Bearer ${clientToken}` } });
    expect(await polled.json()).toMatchObject({ status: 'failed', reason: 'expired' });

    const poll = await fetch(`${cloudUrl}${DOWNLINK_COMMANDS_PATH}?after=0&waitMs=0`, { headers: { authorization: `Bearer ${silentNodeToken}` } });
    expect(await poll.json()).toEqual({ commands: [] });
  });

  it('unroutable: a vehicle no edge node reported fails at once', async () => {
    const { status, json } = await send({ commandId: `nowhere-${run}`, type: 'UnlockVehicle', vehicleId: `VH-NONE-${run}`, bookingId: 'bk-1' });
    expect([status, json.status, json.reason]).toEqual([200, 'failed', 'unroutable']);
  });

  it('lists the command log by vehicle, and the audit trail holds each command and its outcome', async () => {
    const list = await fetch(`${cloudUrl}/v1/commands?vehicleId=${vehicleId}&limit=10`, { headers: { authorization: `Bearer ${clientToken}` } });
    const { commands } = (await list.json()) as { commands: CommandView[] };
    expect(commands.map((c) => [c.commandId, c.status])).toEqual([[`lock-${run}`, 'succeeded'], [`unlock-${run}`, 'succeeded']]);

    await waitUntil('the audit entries', async () => {
      const audit = await fetch(`${cloudUrl}/v1/audit?subject=vehicle:${offlineVehicle}`);
      const { entries } = (await audit.json()) as { entries: Array<{ action: string }> };
      return entries.map((e) => e.action).join() === 'command_requested,command_outcome';
    }, 20_000);
    const audit = await fetch(`${cloudUrl}/v1/audit?subject=vehicle:${vehicleId}`);
    const { entries } = (await audit.json()) as { entries: Array<{ action: string; actor: string; detail: { commandId: string; outcome?: string } }> };
    const mine = entries.filter((e) => e.detail.commandId?.endsWith(run));
    expect(mine.map((e) => [e.action, e.detail.commandId, e.detail.outcome])).toEqual([
      ['command_requested', `unlock-${run}`, undefined],
      ['command_outcome', `unlock-${run}`, 'succeeded'],
      ['command_requested', `lock-${run}`, undefined],
      ['command_outcome', `lock-${run}`, 'succeeded'],
    ]);
    expect(mine[0]!.actor).toBe(`service:ops-${run}`);
  });
});
