import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { expect, inject, it } from 'vitest';
import { createKafkaBus } from '../../bus/kafka/index.js';
import { chargerSample, onTopic, vehicleSample } from './test-records.js';
import { createTsdbSink } from './tsdb-sink.js';

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
