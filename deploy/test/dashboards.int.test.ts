/**
 * The provisioned Grafana dashboards against a real run: the demo (edge, cloud, simulated fleet
 * and return photos) writes the fleet into a VictoriaMetrics of this test, which also scrapes
 * the edge's and the cloud's /metrics like a Prometheus. Every panel's every query must return
 * series, and every fleetwire_* metric a panel reads must be one the code declares.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../src/demo/demo.js';
import { fetchMetrics, sumMetric } from '../src/demo/metrics-text.js';
import { declaredMetrics, metricsReadBy } from './support/declared-metrics.js';
import { freePort, startScrapingVictoriaMetrics, type ScrapingVictoriaMetrics } from './support/scraping-victoria-metrics.js';

const DASHBOARDS = resolve(import.meta.dirname, '../grafana/dashboards');

interface Panel {
  title: string;
  datasource: { uid: string };
  targets: Array<{ expr: string }>;
}

const dashboards = readdirSync(DASHBOARDS).map((file) => ({
  file,
  ...(JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as { uid: string; panels: Panel[] }),
}));

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A probe that throws (a scrape that timed out on a busy machine) counts as not yet.
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 500));
  }
}

describe('Grafana dashboards', () => {
  let dir: string;
  let vm: ScrapingVictoriaMetrics;
  let demo: RunningDemo;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-dashboards-'));
    vm = await startScrapingVictoriaMetrics(join(dir, 'vm'));
    demo = await startDemo(
      {
        dataDir: join(dir, 'demo'), vehicles: 8, chargers: 2, seed: 7, speed: 120, kafkaBrokers: [],
        tsdbUrl: vm.url, tsdbOrg: 'fleetwire', tsdbBucket: 'fleetwire', edgeMqttPort: await freePort(), edgeHttpPort: 0, edgePhotoPort: 0, cloudPort: 0, logLevel: 'error',
      },
      () => undefined,
    );
    const edgeMetrics = demo.urls['edge metrics'] as string;
    await vm.scrape([new URL(edgeMetrics).host, new URL(demo.urls['cloud metrics'] as string).host]);
    // A verdict for a returned car (the latency panel) and charger sessions (the site panels).
    await waitFor('a return verdict', async () => sumMetric(await fetchMetrics(edgeMetrics), 'fleetwire_vision_verdict_seconds_count') >= 1);
    await waitFor('charger readings in the time-series DB', async () => (await vm.query('charger_power_kw')).length > 0);
    // Rates need a few scrapes after that.
    await new Promise((done) => setTimeout(done, 5_000));
  });

  afterAll(async () => {
    await demo?.stop();
    await vm?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('read only metrics the code declares', () => {
    const declared = declaredMetrics();
    const unknown = dashboards.flatMap((d) => d.panels.flatMap((p) => p.targets.flatMap((t) => metricsReadBy(t.expr).filter((m) => !declared.has(m)))));
    expect(unknown).toEqual([]);
    expect(dashboards.map((d) => d.uid).sort()).toEqual(['fleetwire-fleet', 'fleetwire-system']);
  });

  it('answer every panel query with data after a real run', async () => {
    const empty: string[] = [];
    let queries = 0;
    for (const dashboard of dashboards) {
      for (const panel of dashboard.panels) {
        expect(['fleetwire-tsdb', 'fleetwire-metrics']).toContain(panel.datasource.uid);
        for (const target of panel.targets) {
          queries += 1;
          const result = await vm.query(target.expr);
          const finite = result.filter((series) => Number.isFinite(Number(series.value[1])));
          if (finite.length === 0) empty.push(`${dashboard.file} "${panel.title}": ${target.expr}`);
        }
      }
    }
    expect(empty).toEqual([]);
    expect(queries).toBeGreaterThanOrEqual(18);
  });

  it('show the simulated fleet itself, not only that something exists', async () => {
    const vehicles = await vm.query('count(last_over_time(vehicle_soc_pct[10m]))');
    expect(Number(vehicles[0]?.value[1])).toBe(8);
    const intake = await vm.query('sum(rate(fleetwire_intake_messages_total[2m]))');
    expect(Number(intake[0]?.value[1])).toBeGreaterThan(0);
    // The lag panel has a series for every consumer group of the cloud (a group of its own per
    // process would carry a suffix), each a finite count of records.
    const lag = await vm.query('sum by (group) (fleetwire_bus_consumer_lag_records)');
    expect(lag.map((series) => (series.metric.group ?? '').replace(/\.[0-9a-f-]{36}$/, '')).sort()).toEqual([
      'fleetwire-analytics', 'fleetwire-analytics-reports', 'fleetwire-audit', 'fleetwire-commands', 'fleetwire-fleet-state', 'fleetwire-maintenance', 'fleetwire-payment-webhook', 'fleetwire-returns', 'fleetwire-tsdb-sink',
    ]);
    for (const series of lag) expect(Number(series.value[1])).toBeGreaterThanOrEqual(0);
  });
});
