import { join } from 'node:path';
import { installDebianPrograms, type DebianProgram } from './debian-packages.js';
import { TestServerError } from './errors.js';
import { kafkaCompatServer, kafkaServer } from './kafka.js';
import { kafkaSecureServer } from './kafka-secure.js';
import { createManagedServer, type ManagedServer, type ServerMode, type StartResult, type ServerStatus } from './managed-server.js';
import { mosquittoServer } from './mosquitto.js';
import type { ServerDefinition } from './server.js';
import { readTestServerSettings, type TestServerSettings } from './settings.js';
import { victoriaMetricsServer } from './victoria-metrics.js';

/**
 * The real servers behind the integration tests and CI: Apache Kafka (KRaft, jars from Maven
 * Central), VictoriaMetrics and Mosquitto (Debian packages), all on loopback.
 */
export const SERVER_DEFINITIONS: readonly ServerDefinition[] = [kafkaServer, victoriaMetricsServer, mosquittoServer];

/**
 * Installed with the others but started only by the tests that need them (their own vitest
 * project, `global-setup-kafka-extra.ts`) or by name: the compatibility Kafka (3.9) and the
 * SASL_SSL Kafka.
 */
export const ON_DEMAND_DEFINITIONS: readonly ServerDefinition[] = [kafkaCompatServer, kafkaSecureServer];

/**
 * Installed with the servers but never started: benchmarks use kcat, dashboard tests Chromium,
 * the service-file tests systemd-analyze (unit) and promtool (alert rules).
 */
export const TOOL_PROGRAMS: readonly DebianProgram[] = [
  { program: 'kcat', debianPackage: 'kcat' },
  { program: 'chromium', debianPackage: 'chromium' },
  { program: 'systemd-analyze', debianPackage: 'systemd' },
  { program: 'promtool', debianPackage: 'prometheus' },
];

/** What integration tests receive through vitest's `inject`. */
export interface TestServerAddresses {
  kafkaBrokers: string[];
  victoriaMetricsUrl: string;
  mqttUrl: string;
}

export interface TestServersOptions {
  /** Default: read from the environment (see settings.ts). */
  settings?: TestServerSettings;
  /** Progress lines for long work. Default: console.log with a `test-servers:` prefix. */
  progress?: (line: string) => void;
}

export interface TestServers {
  readonly settings: TestServerSettings;
  /** Every server, the on-demand ones last. */
  readonly servers: readonly ManagedServer[];
  addresses(): TestServerAddresses;
  install(): Promise<void>;
  /** Starts every server that is not on demand (reusing healthy running ones); all or nothing for an `asUser` caller. */
  start(options: { mode: ServerMode; asUser: boolean }): Promise<StartResult[]>;
  /** Unregisters this process from every server; returns the names of those it stopped. */
  release(): Promise<string[]>;
  stop(): Promise<Record<string, string>>;
  status(): Promise<ServerStatus[]>;
}

export function addressesOf(settings: TestServerSettings): TestServerAddresses {
  return {
    kafkaBrokers: [kafkaServer.address(settings)],
    victoriaMetricsUrl: victoriaMetricsServer.address(settings),
    mqttUrl: mosquittoServer.address(settings),
  };
}

function reasonOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return '';
  return result.reason instanceof Error ? result.reason.message : String(result.reason);
}

export function createTestServers(options: TestServersOptions = {}): TestServers {
  const settings = options.settings ?? readTestServerSettings();
  const progress = options.progress ?? ((line: string) => console.log(`test-servers: ${line}`));
  const everyday = SERVER_DEFINITIONS.map((definition) => createManagedServer(definition, settings, progress));
  const servers = [...everyday, ...ON_DEMAND_DEFINITIONS.map((definition) => createManagedServer(definition, settings, progress))];

  async function release(): Promise<string[]> {
    const stopped = await Promise.all(servers.map(async (server) => ((await server.release()) ? server.name : '')));
    return stopped.filter((name) => name !== '');
  }

  return {
    settings,
    servers,
    addresses: () => addressesOf(settings),

    async install() {
      const programs = [...SERVER_DEFINITIONS, ...ON_DEMAND_DEFINITIONS].flatMap((definition) => definition.debianPrograms).concat(TOOL_PROGRAMS);
      await installDebianPrograms(programs, join(settings.runDir, 'apt.lock'), progress);
      for (const server of servers) await server.install();
    },

    async start(startOptions) {
      // Each server installs only what it lacks; Kafka's JVM is the slow one and the others start alongside it.
      const results = await Promise.allSettled(everyday.map((server) => server.start(startOptions)));
      const failed = results.filter((result) => result.status === 'rejected');
      if (failed.length === 0) return results.map((result) => (result as PromiseFulfilledResult<StartResult>).value);
      if (startOptions.asUser) await release().catch(() => undefined);
      const first = failed[0] as PromiseRejectedResult;
      throw new TestServerError(
        first.reason instanceof TestServerError ? first.reason.code : 'FW_TEST_SERVER_START_FAILED',
        failed.map(reasonOf).join('\n\n'),
        { cause: first.reason },
      );
    },

    release,

    async stop() {
      const outcomes = await Promise.all(servers.map(async (server) => [server.name, await server.stop()] as const));
      return Object.fromEntries(outcomes);
    },

    status: () => Promise.all(servers.map((server) => server.status())),
  };
}
