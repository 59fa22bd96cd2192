import type { TestProject } from 'vitest/node';
import { createTestServers } from './servers.js';

/**
 * globalSetup of the `integration` vitest project: starts the real Kafka, VictoriaMetrics and
 * Mosquitto (or reuses the ones already running, e.g. from `fleetwire test-servers start`)
 * and hands their addresses to the tests:
 *
 *   const brokers = inject('kafkaBrokers');
 *
 * There is no skipping: when a server cannot start, setup fails with the server's log tail.
 * Teardown releases the servers; it stops one only when a test run started it and no other
 * test run still uses it, so hand-started servers keep running between runs.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Kafka bootstrap servers, e.g. ['127.0.0.1:19092']. */
    kafkaBrokers: string[];
    /** VictoriaMetrics base URL, e.g. 'http://127.0.0.1:18428' (InfluxDB v2 write API at /api/v2/write). */
    victoriaMetricsUrl: string;
    /** Mosquitto URL, e.g. 'mqtt://127.0.0.1:11883'. */
    mqttUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const testServers = createTestServers();
  await testServers.start({ mode: 'auto', asUser: true });
  const addresses = testServers.addresses();
  project.provide('kafkaBrokers', addresses.kafkaBrokers);
  project.provide('victoriaMetricsUrl', addresses.victoriaMetricsUrl);
  project.provide('mqttUrl', addresses.mqttUrl);
  return async () => {
    await testServers.release();
  };
}
