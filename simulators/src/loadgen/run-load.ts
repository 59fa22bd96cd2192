/**
 * The load generator for benchmarks: N MQTT clients publishing valid telemetry at a fixed total
 * rate (or as fast as the in-flight window allows), QoS 0/1/2, a chosen payload size, for a
 * duration or a count. It measures what the broker gives back — PUBACK latency percentiles and
 * the achieved rate — the same way against the edge and against Mosquitto, so the two compare
 * like with like.
 */
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { formatTopic } from '@fleetwire/protocol';
import { SimulatorError } from '../errors.js';
import { devicePassword } from '../fleet/credentials.js';
import { createLatencyHistogram } from './latency.js';
import { loadPayload } from './load-payload.js';
import type { LoadOptions, ResolvedLoadOptions } from './load-options.js';
import { loadClientIds, resolveLoadOptions } from './load-options.js';
import { createProgressLine } from './progress.js';

export interface LoadSummary {
  url: string;
  clients: number;
  qos: 0 | 1 | 2;
  payloadBytes: number;
  targetRate: number | null;
  sent: number;
  /** PUBACKs (QoS 1), PUBCOMPs (QoS 2), or completed writes (QoS 0). */
  acked: number;
  /** Sent but never acknowledged by the end of the drain. */
  unacked: number;
  /** Failed publishes plus client errors (refused connections, resets). */
  errors: number;
  /** From the first publish to the last acknowledgement, ms. */
  durationMs: number;
  /** Publishes per second over the send window. */
  achievedRate: number;
  /** Acknowledgements per second over the whole run. */
  ackedRate: number;
  /** Publish → acknowledgement, ms; null at QoS 0. */
  ackLatencyMs: { p50: number; p95: number; p99: number; max: number } | null;
}

interface Client {
  id: string;
  mqtt: MqttClient;
  inFlight: number;
  seq: number;
  epoch: string;
  topic: string;
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const o = resolveLoadOptions(options);
  const clients = await connectClients(o);
  const histogram = createLatencyHistogram();
  let sent = 0;
  let acked = 0;
  let errors = 0;
  for (const c of clients) c.mqtt.on('error', () => (errors += 1));
  const inFlight = (): number => clients.reduce((sum, c) => sum + c.inFlight, 0);
  const progress = createProgressLine(o.progress, () => ({ sent, acked, errors, inFlight: inFlight() }), o.rate);

  const started = performance.now();
  let lastAck = started;
  let cursor = 0;
  const publishOne = (client: Client): void => {
    const at = performance.now();
    client.inFlight += 1;
    sent += 1;
    const payload = loadPayload(o.payloadBytes, Date.now(), client.epoch, client.seq++, client.id);
    client.mqtt.publish(client.topic, payload, { qos: o.qos }, (error) => {
      client.inFlight -= 1;
      if (error) {
        errors += 1;
        return;
      }
      acked += 1;
      lastAck = performance.now();
      if (o.qos > 0) histogram.record(lastAck - at);
    });
  };
  const done = (): boolean => (o.count !== undefined ? sent >= o.count : performance.now() - started >= (o.durationMs as number));

  // The pacing loop: each turn, send what the schedule says is due, spread round-robin over
  // clients that still have room in their in-flight window.
  while (!done()) {
    const due = o.rate === null ? Infinity : Math.floor(((performance.now() - started) / 1000) * o.rate) - sent;
    let budget = Math.min(due, o.count !== undefined ? o.count - sent : Infinity);
    let blocked = 0;
    while (budget > 0 && blocked < clients.length) {
      const client = clients[cursor] as Client;
      cursor = (cursor + 1) % clients.length;
      if (client.inFlight >= o.maxInFlight || !client.mqtt.connected) {
        blocked += 1;
        continue;
      }
      blocked = 0;
      publishOne(client);
      budget -= 1;
    }
    await new Promise((resolve) => setImmediate(resolve));
    if (o.rate !== null || blocked >= clients.length) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const sendWindowMs = performance.now() - started;
  const drainDeadline = performance.now() + o.drainMs;
  while (inFlight() > 0 && performance.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 5));
  progress.stop();
  await Promise.all(clients.map((c) => c.mqtt.endAsync(c.inFlight > 0).catch(() => undefined)));

  const p = (q: number): number => round(histogram.quantile(q) ?? 0);
  return {
    url: o.url,
    clients: clients.length,
    qos: o.qos,
    payloadBytes: loadPayload(o.payloadBytes, Date.now(), 'x', 0, clients[0]?.id ?? 'LG-0001').length,
    targetRate: o.rate,
    sent,
    acked,
    unacked: sent - acked,
    errors,
    durationMs: round(Math.max(lastAck, started + sendWindowMs) - started),
    achievedRate: round((sent / sendWindowMs) * 1000),
    ackedRate: round((acked / Math.max(1, lastAck - started)) * 1000),
    ackLatencyMs: o.qos === 0 || histogram.count === 0 ? null : { p50: p(0.5), p95: p(0.95), p99: p(0.99), max: round(histogram.max) },
  };
}

async function connectClients(o: ResolvedLoadOptions): Promise<Client[]> {
  const ids = loadClientIds(o);
  const clients: Client[] = [];
  const gap = 1_000 / o.connectsPerSecond;
  try {
    await Promise.all(
      ids.map(async (id, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * gap));
        const client = await mqtt.connectAsync(o.url, {
          clientId: id,
          username: o.username ?? id,
          password: o.password ?? (o.fleetSecret ? devicePassword(o.fleetSecret, id) : undefined),
          protocolVersion: 4,
          clean: true,
          reconnectPeriod: 1_000,
          connectTimeout: 10_000,
        }, false);
        const epoch = `lg${Date.now().toString(36)}${i.toString(36)}`.slice(0, 32);
        clients.push({ id, mqtt: client, inFlight: 0, seq: 0, epoch, topic: formatTopic({ kind: 'vehicle', deviceId: id, channel: 'telemetry' }) });
      }),
    );
  } catch (cause) {
    await Promise.all(clients.map((c) => c.mqtt.endAsync(true).catch(() => undefined)));
    throw new SimulatorError('FW_SIM_CONNECT_FAILED', `load clients could not connect to ${o.url}: ${(cause as Error).message}`, { cause, canRetry: true });
  }
  // Stable order, whatever order the connections completed in.
  return clients.sort((a, b) => a.id.localeCompare(b.id));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
