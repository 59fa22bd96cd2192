import { randomUUID } from 'node:crypto';
import { BUS_TOPICS } from '@fleetwire/protocol';
import pino from 'pino';
import { Registry } from 'prom-client';
import { expect, inject, it } from 'vitest';
import { readTopics } from './support/kafka.js';
import { createKafkaBus } from '../src/bus/kafka/index.js';
import { CloudError } from '../src/errors.js';
import { createInfluxWriter, type InfluxWriter } from '../src/sinks/tsdb/influx-writer.js';
import { chargerSample, onTopic, vehicleSample } from './support/tsdb-records.js';
import { createTsdbSink } from '../src/sinks/tsdb/tsdb-sink.js';

interface ExportedSeries { metric: Record<string, string>; values: number[]; timestamps: number[] }

// VictoriaMetrics: flush what was written so far, then export the raw samples of matching series.
async function exportSeries(url: string, selector: string): Promise<ExportedSeries[]> {
  await fetch(`${url}/internal/force_flush`);
  const response = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': selector })}`);
  const text = await response.text();
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as ExportedSeries);
}

const samples = (series: ExportedSeries[], name: string) => series.find((s) => s.metric.__name__ === name);

it('writes Kafka telemetry to VictoriaMetrics with device timestamps, and a replay adds no samples', async () => {
  const brokers = inject('kafkaBrokers');
  const url = inject('victoriaMetricsUrl');
  const run = randomUUID().slice(0, 8);
  const topic = `tsdb-it-${run}`;
  const vehicle = `VH-it-${run}`;
  const charger = `CH-it-${run}`;
  const T = Date.now() - 60_000;
  const bus = createKafkaBus({ kind: 'kafka', brokers, partitions: 3, replicationFactor: 1 });
  const records = [...[0, 1, 2, 3, 4].map((seq) => vehicleSample(vehicle, seq, T + seq * 1000)), chargerSample(charger, 9, T + 500)];
  // The third vehicle record twice in one produce: the sink keeps one copy.
  await bus.produce([...records, records[2]!].map((r) => onTopic(topic, r)));

  const sinkWith = (groupId: string, metrics: Registry) => createTsdbSink({
    bus, url, org: 'fleet', bucket: 'telemetry', token: '', metrics, logger: pino({ level: 'silent' }), topics: [topic], groupId,
  });
  const written = async (metrics: Registry) => (await metrics.getSingleMetric('fleetwire_tsdb_points_written_total')?.get())?.values[0]?.value ?? 0;

  const firstMetrics = new Registry();
  const first = sinkWith(`tsdb-it-a-${run}`, firstMetrics);
  expect(await first.ready()).toBe(true);
  await first.start();
  await expect.poll(() => written(firstMetrics), { timeout: 30_000 }).toBe(6);
  await first.stop();

  let series = await exportSeries(url, `{vehicle_id="${vehicle}"}`);
  const soc = samples(series, 'vehicle_soc_pct');
  expect(soc?.timestamps).toEqual([0, 1, 2, 3, 4].map((seq) => T + seq * 1000));
  expect(soc?.values).toEqual([50, 51, 52, 53, 54]);
  expect(samples(series, 'vehicle_speed_kph')?.values).toEqual([0, 1, 2, 3, 4]);
  const power = samples(await exportSeries(url, `{charger_id="${charger}"}`), 'charger_power_kw');
  expect(power).toMatchObject({ values: [19], timestamps: [T + 500] });
  expect(power?.metric).toMatchObject({ connector: '1', site: 'site-berlin-1' });

  // A second group replays the whole topic: the same series and timestamps, so no new samples.
  const replayMetrics = new Registry();
  const replay = sinkWith(`tsdb-it-b-${run}`, replayMetrics);
  await replay.start();
  await expect.poll(() => written(replayMetrics), { timeout: 30_000 }).toBe(6);
  await replay.stop();
  series = await exportSeries(url, `{vehicle_id="${vehicle}"}`);
  expect(series.length).toBeGreaterThan(10);
  for (const s of series) expect(s.timestamps).toHaveLength(5);
  await bus.close();
});

/*
 * VictoriaMetrics never refuses a single point: it skips a line it cannot parse (garbage, a
 * timestamp out of range, a line over -influx.maxLineSize), logs it and answers 204 for the rest;
 * it answers 400 only for a whole request it cannot read (e.g. broken gzip). So there is no
 * realistic way to make it trigger the sink's dead-lettering; InfluxDB does (400 "partial write",
 * 422 outside retention). This pins that assumption, and the next test refuses one record in
 * front of the real VictoriaMetrics to run the dead-letter path through real Kafka.
 */
it('VictoriaMetrics answers 204 to a write with a line it cannot parse, and keeps the good line', async () => {
  const url = inject('victoriaMetricsUrl');
  const vehicle = `VH-skip-${randomUUID().slice(0, 8)}`;
  const writer = createInfluxWriter({ url, org: 'fleet', bucket: 'telemetry', token: '', timeoutMs: 10_000 });
  const T = Date.now() - 60_000;
  await writer.write([`vehicle,vehicle_id=${vehicle} soc_pct=42 ${T}`, 'not line protocol at all', `vehicle,vehicle_id=${vehicle} soc_pct=1 99999999999999999999`].join('\n'));
  const soc = samples(await exportSeries(url, `{vehicle_id="${vehicle}"}`), 'vehicle_soc_pct');
  expect(soc).toMatchObject({ values: [42], timestamps: [T] });
});

it('writes the neighbours of a refused record to VictoriaMetrics and dead-letters it on Kafka before committing', async () => {
  const brokers = inject('kafkaBrokers');
  const url = inject('victoriaMetricsUrl');
  const run = randomUUID().slice(0, 8);
  const topic = `tsdb-dlq-it-${run}`;
  const good = `VH-good-${run}`;
  const poison = `VH-poison-${run}`;
  const T = Date.now() - 60_000;
  // One partition, so the refused record shares its consumed batch with the good ones.
  const bus = createKafkaBus({ kind: 'kafka', brokers, partitions: 1, replicationFactor: 1 });
  const produced = [0, 1, 2, 3, 4, 5, 6, 7].map((seq) => onTopic(topic, vehicleSample(seq === 5 ? poison : good, seq, T + seq * 1000)));
  await bus.produce(produced);

  // The real writer, except that it refuses (as InfluxDB would with a 400) any write holding the poison.
  const real = createInfluxWriter({ url, org: 'fleet', bucket: 'telemetry', token: '', timeoutMs: 10_000 });
  const writer: InfluxWriter = {
    write: async (body) => {
      if (body.includes(poison)) throw new CloudError('FW_TSDB_WRITE_FAILED', 'tsdb write failed (HTTP 400): refused in the test', { canRetry: false });
      await real.write(body);
    },
    ping: () => real.ping(),
  };
  const metrics = new Registry();
  const groupId = `tsdb-dlq-it-${run}`;
  const sink = createTsdbSink({ bus, url, org: 'fleet', bucket: 'telemetry', token: '', metrics, logger: pino({ level: 'silent' }), topics: [topic], groupId, writer });
  const deadLettered = async () => (await metrics.getSingleMetric('fleetwire_tsdb_records_dead_lettered_total')?.get())?.values[0]?.value ?? 0;
  await sink.start();
  await expect.poll(deadLettered, { timeout: 30_000 }).toBe(1);
  await sink.stop();

  const soc = samples(await exportSeries(url, `{vehicle_id="${good}"}`), 'vehicle_soc_pct');
  expect(soc?.timestamps).toEqual([0, 1, 2, 3, 4, 6, 7].map((seq) => T + seq * 1000));
  expect(await exportSeries(url, `{vehicle_id="${poison}"}`)).toEqual([]);

  const letters = await readTopics(brokers, [BUS_TOPICS.deadLetters], (m) => m.some((l) => l.headers['fw-id'] === `${poison}:e1:5`));
  const letter = letters.find((l) => l.headers['fw-id'] === `${poison}:e1:5`);
  expect(letter?.value.equals(produced[5]!.value)).toBe(true);
  expect(letter?.headers).toMatchObject({ 'fw-kind': 'dead_letter', 'fw-reason': 'tsdb_rejected', 'fw-source': poison, 'fw-origin': `${topic}/0/5` });

  // Committed: the same group starts again and has nothing left to write.
  let attempts = 0;
  const again = createTsdbSink({
    bus, url, org: 'fleet', bucket: 'telemetry', token: '', metrics: new Registry(), logger: pino({ level: 'silent' }), topics: [topic], groupId,
    writer: { write: async () => void (attempts += 1), ping: async () => true },
  });
  await again.start();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await again.stop();
  expect(attempts).toBe(0);
  await bus.close();
});
