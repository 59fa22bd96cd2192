import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findProgram } from './debian-packages.js';
import type { ServerContext, ServerDefinition } from './server.js';
import type { TestServerSettings } from './settings.js';

/**
 * VictoriaMetrics from Debian's package: the time-series DB behind the InfluxDB v2 write API
 * (POST /api/v2/write, line protocol). It names a series `<measurement>_<field>` with the
 * tags as labels (`vehicle,vehicle_id=v1 soc_pct=81` → `vehicle_soc_pct{vehicle_id="v1"}`)
 * and answers the Prometheus query API (/api/v1/query, /api/v1/export).
 *
 * Written points become searchable after an in-memory flush (a few seconds); tests call
 * GET /internal/force_flush before reading.
 */
function url(settings: TestServerSettings): string {
  return `http://${settings.host}:${settings.victoriaMetricsPort}`;
}

async function prepare(context: ServerContext) {
  const dataDir = join(context.dir, 'data');
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  return {
    command: findProgram('victoria-metrics') ?? 'victoria-metrics',
    args: [
      `-httpListenAddr=${context.settings.host}:${context.settings.victoriaMetricsPort}`,
      `-storageDataPath=${dataDir}`,
      // Tests write fixed, sometimes old, device timestamps; a short retention would drop them silently.
      '-retentionPeriod=100y',
      // One sample per series and millisecond, like InfluxDB overwriting a point: a replayed batch does not duplicate.
      '-dedup.minScrapeInterval=1ms',
      // Freshly written points are queryable at once, not only after the default 30 s.
      '-search.latencyOffset=0s',
      '-search.disableCache',
      '-loggerOutput=stdout',
    ],
    cwd: context.dir,
  };
}

async function probe(settings: TestServerSettings): Promise<boolean> {
  const response = await fetch(`${url(settings)}/health`, { signal: AbortSignal.timeout(3_000) });
  return response.ok && (await response.text()).trim() === 'OK';
}

export const victoriaMetricsServer: ServerDefinition = {
  name: 'victoria-metrics',
  debianPrograms: [{ program: 'victoria-metrics', debianPackage: 'victoria-metrics' }],
  ports: (settings) => [settings.victoriaMetricsPort],
  address: url,
  prepare,
  probe,
  readyTimeoutMs: 30_000,
  stopGraceMs: 10_000,
  hint: '`victoria-metrics -version` (Debian package victoria-metrics), a free FLEETWIRE_VICTORIA_METRICS_PORT and disk space in the run folder',
};
