/**
 * Devices, payloads, publishers and metric reads shared by the process-level tests. Devices
 * publish with real MQTT clients (mqtt.js) and record exactly which messages got a PUBACK.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMessageId } from '@fleetwire/protocol';
import { chargerTelemetryFixture, sumMetric, tripEndedEventFixture, vehicleTelemetryFixture } from '@fleetwire/protocol/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { hashPassword } from '../../src/intake/auth/password-hash.js';

export interface TestDevice {
  id: string;
  kind: 'vehicle' | 'charger';
  password: string;
}

/** Cheap scrypt cost: the tests exercise the protocol, not the hash strength. */
const TEST_COST = { N: 1024, r: 8, p: 1 };

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `fw-edge-${prefix}-`));
}

export async function writeRegistry(dir: string, devices: TestDevice[]): Promise<string> {
  const file = join(dir, 'devices.json');
  const entries = await Promise.all(devices.map(async (d) => ({ id: d.id, kind: d.kind, passwordHash: await hashPassword(d.password, TEST_COST) })));
  writeFileSync(file, JSON.stringify({ devices: entries }));
  return file;
}

export function vehicles(count: number, prefix = 'VH-T'): TestDevice[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${String(i).padStart(3, '0')}`, kind: 'vehicle' as const, password: `pw-${prefix}-${i}` }));
}

export const telemetryTopic = (device: Pick<TestDevice, 'id' | 'kind'>): string => `fleetwire/v1/${device.kind}/${device.id}/telemetry`;
export const eventsTopic = (device: Pick<TestDevice, 'id' | 'kind'>): string => `fleetwire/v1/${device.kind}/${device.id}/events`;

export function vehiclePayload(deviceId: string, epoch: string, seq: number, overrides: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ ...vehicleTelemetryFixture({ deviceId, epoch, seq, ts: Date.now(), odometerKm: 1000 + seq / 10 }), ...overrides }));
}

export function chargerPayload(deviceId: string, epoch: string, seq: number, overrides: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ ...chargerTelemetryFixture({ deviceId, epoch, seq, ts: Date.now() }), ...overrides }));
}

/** A TripEnded event (critical) owned by the device: its id is `{deviceId}:{epoch}:{seq}`. */
export function tripEndedPayload(deviceId: string, epoch: string, seq: number): { id: string; bytes: Buffer } {
  const fixture = tripEndedEventFixture();
  const id = formatMessageId({ deviceId, epoch, seq });
  const event = {
    ...fixture,
    eventId: id,
    source: `vehicle:${deviceId}`,
    occurredAt: new Date().toISOString(),
    data: { ...fixture.data, vehicleId: deviceId, tripId: `trip-${seq}` },
    subject: { kind: 'trip', id: `trip-${seq}` },
  };
  return { id, bytes: Buffer.from(JSON.stringify(event)) };
}

export function connectDevice(url: string, device: TestDevice, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: device.id, username: device.id, password: device.password, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
}

/** Publishes QoS 1 with `window` messages in flight; returns the indexes that were acknowledged. */
export async function publishWindowed(
  client: MqttClient,
  messages: Array<{ topic: string; bytes: Buffer }>,
  window: number,
  onAck: (index: number) => void = () => undefined,
): Promise<Set<number>> {
  const acked = new Set<number>();
  let next = 0;
  await new Promise<void>((resolve) => {
    let settled = 0;
    const finishOne = (): void => {
      settled += 1;
      if (settled === messages.length) resolve();
      else send();
    };
    const send = (): void => {
      if (next >= messages.length) return;
      const index = next++;
      const message = messages[index] as { topic: string; bytes: Buffer };
      client.publish(message.topic, message.bytes, { qos: 1 }, (error) => {
        if (!error) {
          acked.add(index);
          onAck(index);
        }
        finishOne();
      });
    };
    if (messages.length === 0) resolve();
    for (let i = 0; i < window; i++) send();
  });
  return acked;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Sum of a metric's samples in the agent's /metrics text, optionally filtered by labels. */
export async function readMetric(httpUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumMetric(await (await fetch(`${httpUrl}/metrics`)).text(), name, labels);
}

export { sumMetric };
