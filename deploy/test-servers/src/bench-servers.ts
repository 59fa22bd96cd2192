/**
 * Private servers for the benchmarks — a single-node Kafka, and a VictoriaMetrics for the sink
 * bench — built with this package's own server definitions (same config, same jars) but in
 * their own folder and on their own ports, so a benchmark never loads, fills or restarts the
 * shared test servers other test runs are using. Unlike a fresh test-server start, `restart`
 * keeps the data folder: a restart must not lose what was acked. The servers run detached; an
 * interrupted bench (Ctrl-C, SIGTERM) stops them before it exits. Under `npx tsx`, a Ctrl-C that
 * arrives while the bench's event loop is busy (generating records) makes tsx SIGKILL the bench
 * after 60 ms, and the server outlives it: each start prints its pid to stop it by hand, and the
 * next run refuses the busy port. `node --import tsx cloud/bench/….ts` has no such relay.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaServer } from './kafka.js';
import { isOurProcess, isPortOpen, spawnDetached, stopProcess, waitUntilReady, type LaunchPlan } from './process.js';
import type { ServerDefinition } from './server.js';
import { readTestServerSettings } from './settings.js';
import { victoriaMetricsServer } from './victoria-metrics.js';

export interface BenchServer {
  readonly address: string;
  restart(): Promise<{ downMs: number }>;
  stop(): Promise<void>;
}

export type BenchBroker = BenchServer;

const running = new Set<BenchServer>();
let interruptHandled = false;

function stopOnInterrupt(): void {
  if (interruptHandled) return;
  interruptHandled = true;
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and relayed by tsx),
    // and a second signal with no listener left would exit before the servers are stopped.
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`${signal}: stopping the bench servers`);
      void Promise.allSettled([...running].map((s) => s.stop())).then(() => process.exit(130));
    });
  }
}

async function startBenchServer(definition: ServerDefinition, runDir: string, env: Record<string, string>): Promise<BenchServer> {
  const settings = readTestServerSettings({ ...process.env, ...env, FLEETWIRE_TEST_SERVERS_DIR: runDir });
  const dir = join(runDir, definition.name);
  mkdirSync(dir, { recursive: true });
  const context = { settings, dir, progress: (line: string) => console.error(line) };
  await definition.fetch?.(context);
  const plan: LaunchPlan = await definition.prepare(context);
  const logFile = join(dir, `${definition.name}.log`);
  // The folder is in the command line: tells our process from any other of the same program.
  const marker = `${dir}/`;
  let pid = 0;

  const launch = async (): Promise<void> => {
    // Another bench's server on the port would pass the readiness probe and be measured instead.
    for (const port of definition.ports(settings)) {
      if (await isPortOpen('127.0.0.1', port)) throw new Error(`bench ${definition.name}: port ${port} is in use (another bench running?)`);
    }
    pid = await spawnDetached(plan, logFile);
    const failure = await waitUntilReady({
      probe: () => definition.probe(settings),
      failure: () => (isOurProcess(pid, marker) ? undefined : `${definition.name} exited; see ${logFile}`),
      timeoutMs: definition.readyTimeoutMs,
    });
    if (failure !== undefined) {
      await stopProcess(pid, definition.stopGraceMs);
      throw new Error(`bench ${definition.name}: ${failure}`);
    }
    console.error(`bench ${definition.name}: pid ${pid}, ${definition.address(settings)}, folder ${dir}`);
  };

  stopOnInterrupt();
  await launch();
  const server: BenchServer = {
    address: definition.address(settings),
    async restart() {
      const started = Date.now();
      await stopProcess(pid, definition.stopGraceMs);
      await launch();
      return { downMs: Date.now() - started };
    },
    async stop() {
      running.delete(server);
      await stopProcess(pid, definition.stopGraceMs);
    },
  };
  running.add(server);
  return server;
}

/** Kafka on `port` (client) and `port + 1` (controller). */
export function startBenchBroker(runDir: string, port = 29092): Promise<BenchBroker> {
  return startBenchServer(kafkaServer, runDir, {
    FLEETWIRE_KAFKA_PORT: String(port),
    FLEETWIRE_KAFKA_CONTROLLER_PORT: String(port + 1),
  });
}

/** VictoriaMetrics (InfluxDB v2 write API) on `port`, with the test server's flags (dedup per millisecond). */
export function startBenchVictoriaMetrics(runDir: string, port = 28428): Promise<BenchServer> {
  return startBenchServer(victoriaMetricsServer, runDir, { FLEETWIRE_VICTORIA_METRICS_PORT: String(port) });
}
