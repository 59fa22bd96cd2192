import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createFleetSimulation, type FleetSimulation } from '../src/fleet/fleet-simulation.js';
import { messageIdOf } from '../src/ledger/message-id-of.js';
import { runLoad } from '../src/loadgen/run-load.js';

/** A subscriber on the real Mosquitto that counts what arrives, by message id and by exact bytes. */
async function subscribe(url: string, filter: string): Promise<{ client: MqttClient; ids: Map<string, number>; bytes: Set<string>; total: () => number }> {
  const client = await connectAsync(url, { clientId: `fleetwire-sim-test-${process.pid}-${Date.now()}`, reconnectPeriod: 0 });
  const ids = new Map<string, number>();
  const bytes = new Set<string>();
  let total = 0;
  client.on('message', (topic, payload) => {
    total += 1;
    bytes.add(payload.toString('base64'));
    const id = messageIdOf(topic, payload);
    if (id) ids.set(id, (ids.get(id) ?? 0) + 1);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, ids, bytes, total: () => total };
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('simulated fleet on a real broker', () => {
  let simulation: FleetSimulation | undefined;
  let subscriber: MqttClient | undefined;
  afterEach(async () => {
    await simulation?.stop({ drainMs: 0 });
    await subscriber?.endAsync(true);
  });

  it('publishes every ledger id, faults included, and a subscriber receives each one', async () => {
    const url = inject('mqttUrl');
    const sub = await subscribe(url, 'fleetwire/v1/#');
    subscriber = sub.client;
    simulation = createFleetSimulation({
      mqttUrl: url,
      vehicles: 5,
      chargers: 2,
      seed: 21,
      speed: 60,
      tickMs: 50,
      // Drops at 30/h per device: at 60× speed each device drops about every second of real time.
      faults: { drops: 30, dupes: 0.05, reorder: 0.05, malformed: 0.02, impossible: 0.02, impersonate: 0.02, skew: 0.3 },
      settings: { bookingsPerHour: 4 },
    });
    await simulation.start();
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await simulation.stop({ drainMs: 15_000 });
    const stats = simulation.stats();
    const entries = simulation.ledger.entries();
    await eventually(() => entries.every((e) => e.status !== 'acked' || sub.ids.has(e.id) || (e.bytesBase64 !== undefined && sub.bytes.has(e.bytesBase64))), 20_000);

    expect(stats.drops).toBeGreaterThan(0);
    expect(entries.length).toBeGreaterThan(100);
    // An impersonating publish is never re-sent (the edge answers it by cutting the connection),
    // so one that a network drop catches in flight is abandoned: the only kind allowed unacked.
    const abandonedImpersonations = entries.filter((e) => e.status === 'abandoned' && e.faults.includes('impersonate'));
    expect(entries.filter((e) => e.status !== 'acked' && !abandonedImpersonations.includes(e))).toEqual([]);
    // Mosquitto has no ACL: even the forbidden topic is delivered, so every acknowledged id must arrive.
    const missing = entries.filter((e) => e.status === 'acked' && !sub.ids.has(e.id) && !(e.bytesBase64 !== undefined && sub.bytes.has(e.bytesBase64)));
    expect(missing.map((e) => e.id)).toEqual([]);
    for (const e of entries.filter((x) => x.faults.includes('dupes'))) expect(sub.ids.get(e.id) ?? 0).toBeGreaterThanOrEqual(2);
    // Nothing arrived that the simulator does not know it published (read off the victim's topic,
    // an impersonating message carries the victim's id).
    const known = new Set(entries.map((e) => e.id));
    for (const e of entries) if (e.bytesBase64 !== undefined) known.add(messageIdOf(e.topic, Buffer.from(e.bytesBase64, 'base64')) ?? e.id);
    const strangers = [...sub.ids.keys()].filter((id) => !known.has(id));
    expect(strangers).toEqual([]);
    expect(new Set(entries.flatMap((e) => e.faults))).toEqual(new Set(['dupes', 'reorder', 'malformed', 'impossible', 'impersonate', 'skew']));
  });

  it('the load generator gets every publish acknowledged and measures the latency', async () => {
    const url = inject('mqttUrl');
    const sub = await subscribe(url, 'fleetwire/v1/vehicle/+/telemetry');
    subscriber = sub.client;
    const summary = await runLoad({ url, clients: 3, count: 300, rate: 600, idPrefix: `LGT${process.pid}` });
    expect(summary).toMatchObject({ sent: 300, acked: 300, unacked: 0, errors: 0, clients: 3, qos: 1 });
    expect(summary.ackLatencyMs?.p50).toBeGreaterThan(0);
    expect(summary.ackLatencyMs?.p99).toBeGreaterThanOrEqual(summary.ackLatencyMs?.p50 as number);
    await eventually(() => sub.total() >= 300, 20_000);
    expect(sub.ids.size).toBe(300);
  });
});
