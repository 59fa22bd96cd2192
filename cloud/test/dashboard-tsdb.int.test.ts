/**
 * The vehicle page's history from the time-series DB: points the sink's writer put into the
 * test-servers' VictoriaMetrics come back through the dashboard's export query, merged per
 * timestamp, bounded by the range and the point cap; a DB that does not answer is a coded 503.
 */
import { randomUUID } from 'node:crypto';
import { formatLineProtocol, toPoints } from '@fleetwire/protocol';
import { expect, inject, it } from 'vitest';
import { createTsdbHistory } from '../src/dashboard/index.js';
import { createInfluxWriter } from '../src/sinks/tsdb/influx-writer.js';
import { reading } from './support/fleet-records.js';

it('reads a vehicle history back from VictoriaMetrics: each quantity at its device time, within the range, newest points kept', async () => {
  const url = inject('victoriaMetricsUrl');
  const vehicle = `VH-hist-${randomUUID().slice(0, 8)}`;
  const T = Date.now() - 10 * 60_000;
  const records = [0, 1, 2, 3, 4].map((i) => reading(vehicle, i + 1, T + i * 60_000, { socPct: 80 - i, speedKph: 10 * i, battery: { tempC: 20 + i }, tyresKpa: { fl: 240 - i, fr: 241, rl: 238, rr: 239 } }));
  // A sparse reading: speed only, between two full ones.
  const { socPct: _soc, battery: _battery, tyresKpa: _tyres, position: _position, ...speedOnly } = reading(vehicle, 9, T + 90_000, { speedKph: 99 }).payload;
  const sparse = { ...reading(vehicle, 9, T + 90_000), payload: speedOnly };
  const writer = createInfluxWriter({ url, org: 'fleet', bucket: 'telemetry', token: '', timeoutMs: 10_000 });
  await writer.write([...records, sparse].map((r) => formatLineProtocol(toPoints(r))).join('\n'));
  await fetch(`${url}/internal/force_flush`);

  const history = createTsdbHistory({ url, token: '', timeoutMs: 10_000 });
  let points = await history(vehicle, T, T + 10 * 60_000, 100);
  for (let tries = 0; points.length < 6 && tries < 60; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    points = await history(vehicle, T, T + 10 * 60_000, 100);
  }
  expect(points.map((p) => p.at - T)).toEqual([0, 60_000, 90_000, 120_000, 180_000, 240_000]);
  expect(points[0]).toEqual({ at: T, socPct: 80, speedKph: 0, batteryTempC: 20, tyreFlKpa: 240, tyreFrKpa: 241, tyreRlKpa: 238, tyreRrKpa: 239 });
  expect(points[2]).toEqual({ at: T + 90_000, speedKph: 99 });

  expect((await history(vehicle, T + 100_000, T + 200_000, 100)).map((p) => p.socPct)).toEqual([78, 77]);
  expect((await history(vehicle, T, T + 10 * 60_000, 2)).map((p) => p.socPct)).toEqual([77, 76]);
});

it('says FW_TSDB_QUERY_FAILED, retryable, when the DB does not answer', async () => {
  const history = createTsdbHistory({ url: 'http://127.0.0.1:9', token: '', timeoutMs: 2000 });
  await expect(history('VH-1', 0, 1, 10)).rejects.toMatchObject({ code: 'FW_TSDB_QUERY_FAILED', canRetry: true });
});
