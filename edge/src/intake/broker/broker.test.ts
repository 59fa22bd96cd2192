import { type FleetRecord } from '@fleetwire/protocol';
import { toPayloadBytes, vehicleTelemetryFixture } from '@fleetwire/protocol/testing';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { QuarantineEntry, RecordBuffer } from '../../buffer/buffer.js';
import { createLocalRules } from '../../rules/local-rules.js';
import { createDeviceRegistry, type DeviceRegistry } from '../auth/device-registry.js';
import { createLoginGuard, type LoginSettings } from '../auth/login-guard.js';
import { hashPassword } from '../auth/password-hash.js';
import type { IntakeSource } from '../intake.js';
import { createIntakeMetrics } from '../metrics.js';
import { createIntakePipeline } from '../pipeline.js';
import { createEmbeddedBroker } from './broker.js';
import { MAX_AWAITING_COMMIT } from './hooks.js';
import { createTestStore } from '../../../test/support/buffer-store.js';

/** A buffer whose appends stay pending until the test releases them (with an error: the commit failed). */
function gatedBuffer() {
  const committed: FleetRecord[] = [];
  const quarantined: QuarantineEntry[] = [];
  const gates: Array<(error?: Error) => void> = [];
  const buffer = {
    append: (records: readonly FleetRecord[]) =>
      new Promise<void>((resolve, reject) => {
        gates.push((error) => {
          if (error) return reject(error);
          committed.push(...records);
          resolve();
        });
      }),
    quarantine: async (entry: QuarantineEntry) => {
      quarantined.push(entry);
    },
  } as unknown as RecordBuffer;
  return { buffer, committed, quarantined, gates };
}

const LOGIN_SETTINGS: LoginSettings = { sourceFreeFailures: 3, deviceFreeFailures: 100, baseBackoffMs: 60_000, maxBackoffMs: 60_000, maxConcurrentChecks: 2, maxQueuedChecks: 16, recentLoginTtlMs: 60_000 };

let devices: DeviceRegistry;
beforeAll(async () => {
  const cheap = { N: 1024, r: 8, p: 1 };
  devices = createDeviceRegistry({ devices: [{ id: 'VH-0001', kind: 'vehicle', passwordHash: await hashPassword('pw-1', cheap) }] });
});

const started: Array<{ broker: IntakeSource; clients: MqttClient[] }> = [];
afterEach(async () => {
  for (const { broker, clients } of started.splice(0)) {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await broker.stop();
  }
});

async function startBroker(maxPacketBytes = 64 * 1024, buffer?: RecordBuffer) {
  const gated = gatedBuffer();
  const registry = new Registry();
  const metrics = createIntakeMetrics(registry);
  const logger = pino({ level: 'silent' });
  const rules = createLocalRules({ nodeId: 'node-1', batteryLow: { enabled: true, thresholdPct: 20, hysteresisPct: 5 }, chargerFaulted: { enabled: true } });
  const pipeline = createIntakePipeline({ buffer: buffer ?? gated.buffer, rules, metrics, logger, maxPayloadBytes: 4096, maxClockSkewMs: 60_000 });
  const broker = createEmbeddedBroker({
    listeners: { host: '127.0.0.1', port: 0, maxPacketBytes, tls: { enabled: false, port: 0, keyFile: '', certFile: '', caFile: '', requestCert: false }, websocket: { enabled: false, port: 0, path: '/mqtt' } },
    registry: devices,
    logins: createLoginGuard(LOGIN_SETTINGS, registry),
    pipeline,
    metrics,
    logger,
  });
  await broker.start();
  const entry = { broker, clients: [] as MqttClient[] };
  started.push(entry);
  const connect = (options: mqtt.IClientOptions) => {
    const client = mqtt.connect(broker.addresses().mqtt as string, { reconnectPeriod: 0, ...options });
    entry.clients.push(client);
    return client;
  };
  const metric = async (name: string, labels: Record<string, string>) => {
    const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    return (found?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
  };
  return { ...gated, connect, metric };
}

const connected = (client: MqttClient) =>
  new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
const tick = (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms));

describe('embedded broker', () => {
  it('sends the QoS 1 PUBACK only after the record is committed', async () => {
    const { connect, gates, committed } = await startBroker();
    const client = connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1' });
    await connected(client);
    let acked = false;
    const publish = client.publishAsync('fleetwire/v1/vehicle/VH-0001/telemetry', toPayloadBytes(vehicleTelemetryFixture({ ts: Date.now(), seq: 1 })), { qos: 1 }).then(() => {
      acked = true;
    });
    while (gates.length === 0) await tick(10);
    await tick(100);
    expect(acked).toBe(false);
    expect(committed).toEqual([]);
    gates.shift()?.();
    await publish;
    expect(acked).toBe(true);
    expect(committed.map((r) => r.id)).toEqual(['VH-0001:b00t1:1']);
  });

  it('acknowledges each publish once it is committed, in order, later publishes accepted meanwhile (MQTT 3.1.1 and 5)', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const { connect, gates, committed } = await startBroker();
      const client = connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1', protocolVersion });
      await connected(client);
      const acked: number[] = [];
      const publish = (seq: number) =>
        client.publish('fleetwire/v1/vehicle/VH-0001/telemetry', toPayloadBytes(vehicleTelemetryFixture({ ts: Date.now(), seq })), { qos: 1 }, (error) => {
          if (!error) acked.push(seq);
        });
      publish(1);
      while (gates.length < 1) await tick(10);
      publish(2);
      publish(3);
      // The later two reach the pipeline while the first waits for its commit.
      while (gates.length < 3) await tick(10);
      await tick(50);
      expect(acked).toEqual([]);
      gates[0]!();
      while (acked.length < 1) await tick(10);
      await tick(50);
      expect(acked).toEqual([1]);
      gates[1]!();
      gates[2]!();
      while (acked.length < 3) await tick(10);
      expect(acked).toEqual([1, 2, 3]);
      expect(committed.map((r) => r.id)).toEqual(['VH-0001:b00t1:1', 'VH-0001:b00t1:2', 'VH-0001:b00t1:3']);
      expect(client.connected).toBe(true);
      await client.endAsync();
    }
  });

  it('answers a failed commit with no ack and a closed connection, so the device sends it again', async () => {
    const { connect, gates, metric } = await startBroker();
    const client = connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1' });
    await connected(client);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    let acked = false;
    client.publish('fleetwire/v1/vehicle/VH-0001/telemetry', toPayloadBytes(vehicleTelemetryFixture({ ts: Date.now(), seq: 1 })), { qos: 1 }, (error) => {
      acked = !error;
    });
    while (gates.length === 0) await tick(10);
    gates[0]!(Object.assign(new Error('disk full'), { code: 'FW_BUFFER_FULL' }));
    await closed;
    expect(acked).toBe(false);
    expect(await metric('fleetwire_intake_messages_total', { kind: 'vehicle_telemetry' })).toBe(0);
  });

  it('stops reading a device that sends faster than commits settle, and takes the rest once they do', async () => {
    const { connect, gates, committed } = await startBroker();
    const client = connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1' });
    await connected(client);
    const total = 3000;
    let acked = 0;
    for (let seq = 1; seq <= total; seq += 1) {
      client.publish('fleetwire/v1/vehicle/VH-0001/telemetry', toPayloadBytes(vehicleTelemetryFixture({ ts: Date.now(), seq })), { qos: 1 }, (error) => {
        if (!error) acked += 1;
      });
    }
    // No commit settles: the agent holds at most the bound plus one socket read's packets.
    let before = -1;
    while (gates.length !== before) {
      before = gates.length;
      await tick(200);
    }
    expect(gates.length).toBeGreaterThanOrEqual(MAX_AWAITING_COMMIT);
    expect(gates.length).toBeLessThan(MAX_AWAITING_COMMIT + 400);
    expect(acked).toBe(0);
    // Commits settle: reading resumes until every publish is committed once and acknowledged.
    while (acked < total) {
      for (const release of gates.splice(0)) release();
      await tick(20);
    }
    expect(committed.map((r) => r.id)).toEqual(Array.from({ length: total }, (_, i) => `VH-0001:b00t1:${i + 1}`));
  });

  it('sends the PUBACK only once the SQLite commit is on disk (the WAL fsync finished), not at the commit', async () => {
    const store = createTestStore();
    const syncs: Array<{ stored: number; finish(): void }> = [];
    const stored = () => store.peek<Array<{ n: number }>>('SELECT count(*) AS n FROM records')[0]!.n;
    const buffer = store.open({ commitIntervalMs: 0, fileSync: { sync: () => new Promise<void>((finish) => syncs.push({ stored: stored(), finish })) } });
    try {
      const { connect } = await startBroker(64 * 1024, buffer);
      const client = connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1' });
      await connected(client);
      let acked = false;
      const publish = client.publishAsync('fleetwire/v1/vehicle/VH-0001/telemetry', toPayloadBytes(vehicleTelemetryFixture({ ts: Date.now(), seq: 1 })), { qos: 1 }).then(() => {
        acked = true;
      });
      while (syncs.length === 0) await tick(10);
      await tick(100);
      // Committed (another connection sees it), fsync under way: no PUBACK yet.
      expect(syncs[0]!.stored).toBe(1);
      expect(acked).toBe(false);
      syncs[0]!.finish();
      await publish;
      expect(acked).toBe(true);
    } finally {
      await store.cleanup();
    }
  });

  it('refuses unknown devices and bad passwords with CONNACK not authorized, counted by reason', async () => {
    const { connect, metric } = await startBroker();
    for (const [options, reason] of [
      [{ clientId: 'VH-9', username: 'VH-9', password: 'pw-1' }, 'unknown_device'],
      [{ clientId: 'VH-0001', username: 'VH-0001', password: 'wrong' }, 'bad_password'],
      [{ clientId: 'VH-0001' }, 'missing_credentials'],
    ] as const) {
      const error = await connected(connect(options)).then(() => undefined, (caught: Error & { code?: number }) => caught);
      expect(error?.code).toBe(5);
      expect(await metric('fleetwire_intake_auth_refused_total', { reason })).toBe(1);
    }
  });

  it('refuses a source over its failure budget before any password work, while a device that logged in recently still gets in', async () => {
    const { connect, metric } = await startBroker();
    await connected(connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1' }));
    const codes: Array<number | undefined> = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const error = await connected(connect({ clientId: 'VH-0001:x', username: 'VH-0001', password: `wrong-${attempt}` })).then(() => undefined, (caught: Error & { code?: number }) => caught);
      codes.push(error?.code);
    }
    expect(codes).toEqual([5, 5, 5, 5, 5, 5]);
    expect(await metric('fleetwire_intake_auth_refused_total', { reason: 'bad_password' })).toBe(4);
    expect(await metric('fleetwire_intake_auth_refused_total', { reason: 'throttled' })).toBe(2);
    expect(await metric('fleetwire_intake_auth_throttled_total', { scope: 'source' })).toBe(2);
    expect(await metric('fleetwire_intake_auth_closed_keys', { scope: 'source' })).toBe(1);
    // Same source, but the right password of a device that logged in a moment ago: one HMAC, no budget.
    await connected(connect({ clientId: 'VH-0001:y', username: 'VH-0001', password: 'pw-1' }));
    expect(await metric('fleetwire_intake_auth_recent_logins_total', {})).toBe(1);
  });

  it("closes the connection of a device publishing to another device's topic, without an ack", async () => {
    const { connect, committed, quarantined, metric } = await startBroker();
    const client = connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1' });
    await connected(client);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    let acked = false;
    client.publish('fleetwire/v1/vehicle/VH-0002/telemetry', toPayloadBytes(vehicleTelemetryFixture()), { qos: 1 }, () => {
      acked = true;
    });
    await closed;
    expect(acked).toBe(false);
    expect(committed).toEqual([]);
    expect(quarantined.map((q) => q.reason)).toEqual(['topic_forbidden']);
    expect(await metric('fleetwire_intake_rejected_total', { reason: 'topic_forbidden' })).toBe(1);
  });

  it('acknowledges and quarantines bad content, keeping the connection', async () => {
    const { connect, quarantined } = await startBroker();
    const client = connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1' });
    await connected(client);
    await client.publishAsync('fleetwire/v1/vehicle/VH-0001/telemetry', Buffer.from('not json'), { qos: 1 });
    expect(quarantined.map((q) => q.reason)).toEqual(['malformed_json']);
    expect(client.connected).toBe(true);
  });

  it('drops a connection that announces a packet over the frame limit', async () => {
    const { connect, metric, quarantined } = await startBroker(2048);
    const client = connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1' });
    await connected(client);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('fleetwire/v1/vehicle/VH-0001/telemetry', Buffer.alloc(100_000, 0x20), { qos: 1 });
    await closed;
    expect(await metric('fleetwire_intake_rejected_total', { reason: 'payload_too_large' })).toBe(1);
    expect(quarantined).toEqual([]);
  });

  it('lets a device subscribe to its own commands only', async () => {
    const { connect } = await startBroker();
    const client = connect({ clientId: 'VH-0001', username: 'VH-0001', password: 'pw-1' });
    await connected(client);
    const granted = await client.subscribeAsync('fleetwire/v1/vehicle/VH-0001/commands/#', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    // mqtt.js turns a SUBACK 0x80 into an error; the connection stays up.
    await expect(client.subscribeAsync('fleetwire/v1/vehicle/VH-0002/commands/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(client.subscribeAsync('fleetwire/v1/+/+/telemetry', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(client.connected).toBe(true);
  });
});
