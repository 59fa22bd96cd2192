/**
 * A VictoriaMetrics of the test's own (Debian's program, as the shared test server, on a free
 * loopback port, fresh storage): the time-series DB the cloud's sink writes to, and a Prometheus
 * scraping the given /metrics targets — everything it holds comes from this run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { findProgram } from '@fleetwire/test-servers';

export interface ScrapingVictoriaMetrics {
  readonly url: string;
  /** Starts scraping these host:port targets (path /metrics) every second; VictoriaMetrics re-reads its config. */
  scrape(targets: string[]): Promise<void>;
  /** A PromQL instant query at `time` (default now): the result vector. */
  query(expr: string, time?: number): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startScrapingVictoriaMetrics(dir: string): Promise<ScrapingVictoriaMetrics> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'scrape.yaml');
  const writeConfig = (targets: string[]): void =>
    writeFileSync(configFile, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: fleetwire\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]\n`);
  writeConfig([]);
  const child = spawn(
    findProgram('victoria-metrics') ?? 'victoria-metrics',
    [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dir, 'data')}`,
      `-promscrape.config=${configFile}`,
      '-promscrape.configCheckInterval=1s',
      '-retentionPeriod=100y',
      '-search.latencyOffset=0s',
      '-search.disableCache',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  for (let attempt = 0; ; attempt++) {
    const healthy = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (healthy) break;
    if (attempt > 100 || child.exitCode !== null) throw new Error(`victoria-metrics did not start:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const vm: ScrapingVictoriaMetrics = {
    url,
    async scrape(targets) {
      writeConfig(targets);
      // Until a scrape of every target is in, queries of their metrics find nothing.
      for (let attempt = 0; attempt < 100; attempt++) {
        const up = await vm.query('up == 1');
        if (up.length === targets.length) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`victoria-metrics never scraped ${targets.join(', ')}:\n${stderr}`);
    },
    async query(expr, time = Date.now() / 1000) {
      await fetch(`${url}/internal/force_flush`);
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr, time: String(time) })}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data?.result ?? [];
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return vm;
}
