import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { connectAsync } from 'mqtt';
import { describe, expect, inject, it } from 'vitest';

/** Proves that each test server is the real thing: data goes in through its own protocol and comes back out. */

const run = promisify(execFile);

async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no result within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('kafka', () => {
  it('keeps every key on one partition, in order, through a consumer group', async () => {
    const kafka = new Kafka({ clientId: 'fleetwire-smoke', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });
    const topic = `fleetwire-smoke-${randomUUID()}`;
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = kafka.consumer({ groupId: `fleetwire-smoke-${randomUUID()}` });
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
      const keys = ['vehicle-1', 'vehicle-2', 'vehicle-3', 'charger-1', 'charger-2', 'charger-3'];
      const sent = keys.flatMap((key) => [0, 1, 2, 3].map((n) => ({ key, value: `${key}#${n}` })));
      await producer.connect();
      const metadata = await producer.send({ topic, acks: -1, messages: sent });
      expect(metadata.every((m) => m.errorCode === 0)).toBe(true);

      const received: { key: string; value: string; partition: number }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push({ key: String(message.key), value: String(message.value), partition });
        },
      });
      await eventually(async () => (received.length >= sent.length ? true : undefined), 60_000);

      expect(received).toHaveLength(sent.length);
      const [topicMetadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const partitionOf = Partitioners.DefaultPartitioner();
      const partitionsUsed = new Set<number>();
      for (const key of keys) {
        const ofKey = received.filter((message) => message.key === key);
        expect(ofKey.map((message) => message.value)).toEqual([0, 1, 2, 3].map((n) => `${key}#${n}`));
        const expected = partitionOf({ topic, partitionMetadata: topicMetadata!.partitions, message: { key, value: null } });
        expect(new Set(ofKey.map((message) => message.partition))).toEqual(new Set([expected]));
        partitionsUsed.add(expected);
      }
      expect(partitionsUsed.size).toBeGreaterThan(1);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});

describe('victoria-metrics', () => {
  interface ExportedSeries {
    metric: Record<string, string>;
    values: number[];
    timestamps: number[];
  }

  it('stores points from the InfluxDB v2 write API as <measurement>_<field> series', async () => {
    const url = inject('victoriaMetricsUrl');
    const vehicleId = `smoke-${randomUUID()}`;
    const base = Date.now() - 3 * 60_000;
    const samples = [
      { at: base, soc: 81.5, odometer: 12_000.25 },
      { at: base + 60_000, soc: 80.75, odometer: 12_001.5 },
      { at: base + 120_000, soc: 79, odometer: 12_003 },
    ];
    const writeApi = new InfluxDB({ url, token: 'smoke-token' }).getWriteApi('fleetwire', 'telemetry', 'ms');
    writeApi.writePoints(
      samples.map((s) =>
        new Point('vehicle').tag('vehicle_id', vehicleId).floatField('soc_pct', s.soc).floatField('odometer_km', s.odometer).timestamp(s.at),
      ),
    );
    await writeApi.close();
    await fetch(`${url}/internal/force_flush`);

    const query = new URLSearchParams({ 'match[]': `{vehicle_id="${vehicleId}"}`, start: String(Math.floor(base / 1000) - 60) });
    const series = await eventually(async () => {
      const text = await (await fetch(`${url}/api/v1/export?${query}`)).text();
      const lines = text.trim() === '' ? [] : text.trim().split('\n').map((line) => JSON.parse(line) as ExportedSeries);
      return lines.length === 2 ? lines : undefined;
    }, 15_000);

    const byName = Object.fromEntries(series.map((s) => [s.metric.__name__, s]));
    expect(Object.keys(byName).sort()).toEqual(['vehicle_odometer_km', 'vehicle_soc_pct']);
    expect(byName.vehicle_soc_pct!.metric.vehicle_id).toBe(vehicleId);
    expect(byName.vehicle_soc_pct!.timestamps).toEqual(samples.map((s) => s.at));
    expect(byName.vehicle_soc_pct!.values).toEqual(samples.map((s) => s.soc));
    expect(byName.vehicle_odometer_km!.values).toEqual(samples.map((s) => s.odometer));

    const instant = new URLSearchParams({ query: `vehicle_soc_pct{vehicle_id="${vehicleId}"}`, time: String(samples[2]!.at / 1000) });
    const answer = (await (await fetch(`${url}/api/v1/query?${instant}`)).json()) as {
      data: { result: { value: [number, string] }[] };
    };
    expect(answer.data.result.map((r) => r.value)).toEqual([[samples[2]!.at / 1000, '79']]);
  });
});

describe('mosquitto', () => {
  it('carries a message from mosquitto_pub to an mqtt.js subscriber byte for byte', async () => {
    const url = new URL(inject('mqttUrl'));
    const topic = `fleetwire/smoke/${randomUUID()}`;
    const payload = JSON.stringify({ vehicleId: 'vehicle-7', socPct: 64.5, note: 'naïve ✓' });
    const subscriber = await connectAsync(url.href, { clientId: `smoke-${randomUUID()}`, reconnectPeriod: 0 });
    try {
      const versions: string[] = [];
      const arrived = new Promise<{ topic: string; payload: Buffer; qos: number }>((resolve) => {
        subscriber.on('message', (t, body, packet) => {
          if (t === '$SYS/broker/version') versions.push(body.toString());
          else resolve({ topic: t, payload: body, qos: packet.qos });
        });
      });
      await subscriber.subscribeAsync([topic, '$SYS/broker/version'], { qos: 1 });
      await run('mosquitto_pub', ['-h', url.hostname, '-p', url.port, '-q', '1', '-t', topic, '-m', payload]);
      const message = await arrived;

      expect(message.topic).toBe(topic);
      expect(message.qos).toBe(1);
      expect(message.payload.equals(Buffer.from(payload, 'utf8'))).toBe(true);
      // $SYS/broker/version is a retained topic only Mosquitto publishes.
      await eventually(async () => (versions.length > 0 ? true : undefined), 20_000);
      expect(versions[0]).toMatch(/^mosquitto version \d+\.\d+/);
    } finally {
      await subscriber.endAsync();
    }
  });
});
