/**
 * Fuzzing the agent's MQTT intake (property-based, fast-check, fixed seeds): mutated CONNECT and
 * PUBLISH frames over a raw TCP socket (bad lengths, flags, strings, topics that are not UTF-8)
 * and mutated payloads in well-formed frames, each followed by a valid message from another
 * device on a connection that stays open. The agent must stay up, acknowledge and deliver every
 * valid message, quarantine bad content byte for byte, and count what it refused.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { applyEdits, byteEdit, fuzzPlan, fuzzTimeout, mutatedBytes, runParameters } from '@fleetwire/protocol/testing/fuzz';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from './support/agent-process.js';
import { connectDevice, readMetric, telemetryTopic, tempDir, vehiclePayload, vehicles, waitFor, writeRegistry } from './support/fleet.js';
import { connectFrame, openRawSession, packetTypes, publishFrame } from './support/mqtt-frames.js';
import { agentTestBed } from './support/test-bed.js';

/** The suite's seeds and counts (FLEETWIRE_FUZZ_SEED / FLEETWIRE_FUZZ_RUNS override them: docs/security.md, "Fuzzing in CI"). */
const FRAMES = fuzzPlan('mqtt-frames', { seed: 1505, runs: 40 });
const PAYLOADS = fuzzPlan('mqtt-payloads', { seed: 1506, runs: 60 });

const TOKEN = 'node-token-fuzz-mqtt';
const bed = agentTestBed(TOKEN);
const [good] = vehicles(1, 'VH-OK');
/** Sends raw frames, many of them CONNECTs with a mutated (wrong) password. */
const [fuzzer] = vehicles(1, 'VH-FZ');
/** Sends mutated payloads in well-formed frames. */
const [payloads] = vehicles(1, 'VH-PL');
let agent: AgentProcess;
let dir: string;
// Connected before any mutated CONNECT is refused, so throttling of failed logins cannot hit them.
let neighbour: Neighbour;
let payloadClient: MqttClient;

beforeAll(async () => {
  dir = tempDir('fuzz-mqtt');
  agent = await bed.startAgent(
    {
      nodeId: 'node-fuzz-mqtt',
      dataDir: 'data',
      devices: { registryFile: await writeRegistry(dir, [good!, fuzzer!, payloads!]) },
      mqtt: { host: '127.0.0.1', port: 0, maxPacketBytes: 16_384 },
      http: { host: '127.0.0.1', port: 0 },
      intake: { maxPayloadBytes: 4096 },
      cloud: { url: bed.receiver.url, token: TOKEN },
      uplink: { baseBackoffMs: 50, maxBackoffMs: 300 },
    },
    dir,
  );
  neighbour = await goodNeighbour();
  payloadClient = await connectDevice(agent.addresses.mqtt as string, payloads!);
});

afterAll(async () => {
  await neighbour?.close();
  await payloadClient?.endAsync();
});

const http = (): string => agent.addresses.http as string;
const refusals = async (): Promise<number> => (await readMetric(http(), 'fleetwire_intake_rejected_total')) + (await readMetric(http(), 'fleetwire_intake_auth_refused_total'));

/** Sequence numbers of the good device across the file: its odometer (derived from them) only grows. */
let goodSeq = 0;

interface Neighbour {
  send(): Promise<string>;
  close(): Promise<void>;
}

/** A valid neighbour: one message of the good device, which must be acknowledged on its open connection. */
async function goodNeighbour(): Promise<Neighbour> {
  const client = await connectDevice(agent.addresses.mqtt as string, good!);
  return {
    async send() {
      expect(client.connected).toBe(true);
      goodSeq += 1;
      await client.publishAsync(telemetryTopic(good!), vehiclePayload(good!.id, 'g1', goodSeq), { qos: 1 });
      return `${good!.id}:g1:${goodSeq}`;
    },
    close: () => client.endAsync(),
  };
}

async function expectAliveAndDelivered(ids: readonly string[]): Promise<void> {
  expect(agent.child.exitCode).toBeNull();
  expect((await fetch(`${http()}/readyz`)).status).toBe(200);
  await waitFor(() => ids.every((id) => bed.receiver.ids.includes(id)), 20_000, 'every valid neighbour at the receiver');
}

/** A topic of the fuzzing device with bytes that are not UTF-8 (or a NUL, which MQTT forbids) put in. */
const badUtf8Topic = fc
  .record({ at: fc.nat(), bad: fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00]) })
  .map(({ at, bad }) => {
    const topic = Buffer.from(telemetryTopic(fuzzer!));
    const cut = at % topic.length;
    return Buffer.concat([topic.subarray(0, cut), Buffer.from(bad), topic.subarray(cut)]);
  });

describe('edge MQTT intake under fuzzing', () => {
  it('survives mutated CONNECT and PUBLISH frames on raw TCP, and delivers every valid message sent between them', async () => {
    const connect = connectFrame(fuzzer!.id, fuzzer!.id, fuzzer!.password);
    const publish = publishFrame(telemetryTopic(fuzzer!), 1, vehiclePayload(fuzzer!.id, 'raw', 1));
    const rawCase = fc.oneof(
      mutatedBytes(connect).map((bytes) => ({ what: 'connect', frames: [bytes, publish] })),
      mutatedBytes(publish).map((bytes) => ({ what: 'publish', frames: [connect, bytes] })),
      badUtf8Topic.map((topic) => ({ what: 'topic', frames: [connect, publishFrame(topic, 2, vehiclePayload(fuzzer!.id, 'raw', 2))] })),
    );
    const before = await refusals();
    const delivered: string[] = [];
    let badTopics = 0;
    await fc.assert(
      fc.asyncProperty(rawCase, async ({ what, frames }) => {
        const session = await openRawSession(agent.addresses.mqtt as string);
        for (const bytes of frames) await session.send(bytes);
        if (what === 'topic') {
          badTopics += 1;
          // A topic that is not UTF-8 is never acknowledged (PUBACK: type 4); the broker hangs up.
          expect(await session.closedWithin(5_000)).toBe(true);
          expect(packetTypes(session.received)).not.toContain(4);
        }
        await session.end();
        delivered.push(await neighbour.send());
      }),
      runParameters(FRAMES),
    );
    await expectAliveAndDelivered(delivered);
    expect(await refusals()).toBeGreaterThanOrEqual(before + badTopics);
    // Only the two devices connected from the start remain: no session of a broken connection lingers.
    await waitFor(async () => (await readMetric(http(), 'fleetwire_intake_connected_devices')) === 2, 10_000, 'the broken connections to be gone');
  }, fuzzTimeout(FRAMES, 1000));

  it('acknowledges mutated payloads, quarantines the bad ones byte for byte, and delivers every valid neighbour', async () => {
    const client = payloadClient;
    const rejectedBefore = await readMetric(http(), 'fleetwire_intake_rejected_total');
    const sent: Buffer[] = [];
    const delivered: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(byteEdit, { minLength: 1, maxLength: 4 }), async (edits) => {
        const bytes = applyEdits(vehiclePayload(payloads!.id, 'm1', sent.length + 1), edits);
        sent.push(bytes);
        // Bad content is acknowledged, so the device does not resend it forever.
        await client.publishAsync(telemetryTopic(payloads!), bytes, { qos: 1 });
        expect(client.connected).toBe(true);
        delivered.push(await neighbour.send());
      }),
      runParameters(PAYLOADS),
    );
    await expectAliveAndDelivered(delivered);

    const notJson = sent.filter((bytes) => !parses(bytes));
    const rejected = (await readMetric(http(), 'fleetwire_intake_rejected_total')) - rejectedBefore;
    expect(rejected).toBeGreaterThanOrEqual(notJson.length);
    expect(rejected).toBeLessThanOrEqual(sent.length);
    const db = new Database(join(dir, 'data', 'buffer.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT bytes FROM quarantine WHERE source_id = ? AND topic = ?').all(payloads!.id, telemetryTopic(payloads!)) as Array<{ bytes: Buffer }>;
      const quarantined = new Set(rows.map((row) => row.bytes.toString('base64')));
      expect(notJson.filter((bytes) => !quarantined.has(bytes.toString('base64')))).toEqual([]);
    } finally {
      db.close();
    }
  }, fuzzTimeout(PAYLOADS, 500));
});

function parses(bytes: Buffer): boolean {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return true;
  } catch {
    return false;
  }
}
