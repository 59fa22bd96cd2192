/**
 * A private single-node Kafka for the client benchmark, built with the test-servers module's
 * own Kafka definition (same config, same jars) but in its own folder and on its own ports, so
 * restarting it never disturbs the shared test broker other test runs are using. Unlike a fresh
 * test-server start, `restart` keeps the data folder: a restart must not lose what was acked.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaServer } from '../../deploy/src/test-servers/kafka.js';
import { isOurProcess, isPortOpen, spawnDetached, stopProcess, waitUntilReady, type LaunchPlan } from '../../deploy/src/test-servers/process.js';
import { readTestServerSettings } from '../../deploy/src/test-servers/settings.js';

export interface BenchBroker {
  readonly address: string;
  restart(): Promise<{ downMs: number }>;
  stop(): Promise<void>;
}

export async function startBenchBroker(runDir: string, port = 29092): Promise<BenchBroker> {
  const settings = readTestServerSettings({
    ...process.env,
    FLEETWIRE_TEST_SERVERS_DIR: runDir,
    FLEETWIRE_KAFKA_PORT: String(port),
    FLEETWIRE_KAFKA_CONTROLLER_PORT: String(port + 1),
  });
  const dir = join(runDir, 'kafka');
  mkdirSync(dir, { recursive: true });
  const context = { settings, dir, progress: (line: string) => console.error(line) };
  await kafkaServer.fetch?.(context);
  const plan: LaunchPlan = await kafkaServer.prepare(context);
  const logFile = join(dir, 'kafka.log');
  let pid = 0;

  const launch = async (): Promise<void> => {
    // Another bench's broker on the port would pass the readiness probe and be measured instead.
    if (await isPortOpen('127.0.0.1', port)) throw new Error(`bench broker: port ${port} is in use (another bench running?)`);
    pid = await spawnDetached(plan, logFile);
    const failure = await waitUntilReady({
      probe: () => kafkaServer.probe(settings),
      failure: () => (isOurProcess(pid, 'kafka.Kafka') ? undefined : `kafka exited; see ${logFile}`),
      timeoutMs: kafkaServer.readyTimeoutMs,
    });
    if (failure !== undefined) throw new Error(`bench broker: ${failure}`);
  };

  await launch();
  return {
    address: kafkaServer.address(settings),
    async restart() {
      const started = Date.now();
      await stopProcess(pid, kafkaServer.stopGraceMs);
      await launch();
      return { downMs: Date.now() - started };
    },
    async stop() {
      await stopProcess(pid, kafkaServer.stopGraceMs);
    },
  };
}
