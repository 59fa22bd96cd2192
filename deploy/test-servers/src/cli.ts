import { TestServerError } from './errors.js';
import type { ManagedServer, ServerStatus } from './managed-server.js';
import { createTestServers, ON_DEMAND_DEFINITIONS, SERVER_DEFINITIONS, TOOL_PROGRAMS } from './servers.js';
import { DEFAULT_PORTS } from './settings.js';

const { kafkaPort, kafkaControllerPort, victoriaMetricsPort, mqttPort, kafkaCompatPort, kafkaSecurePort } = DEFAULT_PORTS;
const DEBIAN_PACKAGES = [
  ...new Set([...[...SERVER_DEFINITIONS, ...ON_DEMAND_DEFINITIONS].flatMap((d) => d.debianPrograms), ...TOOL_PROGRAMS].map((p) => p.debianPackage)),
];
const ON_DEMAND = new Set<string>(ON_DEMAND_DEFINITIONS.map((d) => d.name));

const USAGE = `Usage: fleetwire test-servers <install|start|stop|status> [server...] [--json]

The real servers used by integration tests and CI, on loopback:
  kafka             Apache Kafka, one KRaft node (jars from Maven Central)  127.0.0.1:${kafkaPort} (controller ${kafkaControllerPort})
  victoria-metrics  VictoriaMetrics, InfluxDB v2 write API at /api/v2/write  http://127.0.0.1:${victoriaMetricsPort}
  mosquitto         Mosquitto MQTT broker, anonymous                          mqtt://127.0.0.1:${mqttPort}
on demand (started by the tests that need them, or by name):
  kafka-compat      Apache Kafka of the older line (kafka.compat.version)     127.0.0.1:${kafkaCompatPort}
  kafka-secure      Apache Kafka with a SASL_SSL listener (private CA, SCRAM and PLAIN users)  127.0.0.1:${kafkaSecurePort}

Commands:
  install   install what is missing: Debian packages (${DEBIAN_PACKAGES.join(', ')})
            and the Kafka jars (once, with Maven, into FLEETWIRE_CACHE_DIR)
  start     start the servers (all but the on-demand ones unless named; installing first when needed), or reuse the healthy ones already running;
            they keep running until \`stop\`, and test runs reuse them
  stop      stop the servers (SIGTERM, then SIGKILL after a grace period)
  status    show each server; exits 1 when one is not running and healthy (a stopped on-demand one is fine)

Options:
  --json    print status as JSON
  -h, --help

Environment: FLEETWIRE_KAFKA_PORT, FLEETWIRE_KAFKA_CONTROLLER_PORT, FLEETWIRE_VICTORIA_METRICS_PORT,
FLEETWIRE_MQTT_PORT, FLEETWIRE_KAFKA_COMPAT_PORT, FLEETWIRE_KAFKA_COMPAT_CONTROLLER_PORT, FLEETWIRE_KAFKA_SECURE_PORT,
FLEETWIRE_KAFKA_SECURE_CONTROLLER_PORT, FLEETWIRE_KAFKA_SECURE_INTERNAL_PORT (ports), FLEETWIRE_TEST_SERVERS_DIR (run folder: state, logs, data; default
<tmp>/fleetwire-test-servers), FLEETWIRE_CACHE_DIR (Kafka jars; default ~/.cache/fleetwire),
FLEETWIRE_KAFKA_VERSION and FLEETWIRE_KAFKA_COMPAT_VERSION (default: the versions pinned in deploy/kafka/pom.xml).`;

const COMMANDS = ['install', 'start', 'stop', 'status'] as const;
type CommandName = (typeof COMMANDS)[number];

function formatStatus(status: ServerStatus): string {
  const state = status.healthy ? 'healthy' : status.running ? 'NOT ANSWERING' : 'stopped';
  const details = status.running
    ? `pid ${status.pid}, ${status.mode}${status.users.length > 0 ? `, used by test runs ${status.users.join(' ')}` : ''}, since ${status.startedAt}`
    : '';
  const note = status.note ? ` (${status.note})` : '';
  return `${status.name.padEnd(17)}${state.padEnd(14)}${status.address.padEnd(26)}${details}${note}`;
}

function pick(servers: readonly ManagedServer[], names: string[]): ManagedServer[] {
  if (names.length === 0) return [...servers];
  return names.map((name) => {
    const server = servers.find((candidate) => candidate.name === name);
    if (!server) {
      throw new TestServerError(
        'FW_TEST_SERVER_SETTINGS_INVALID',
        `unknown server '${name}'; known: ${servers.map((s) => s.name).join(', ')}`,
      );
    }
    return server;
  });
}

async function execute(command: CommandName, names: string[], json: boolean): Promise<number> {
  const testServers = createTestServers();
  const chosen = pick(testServers.servers, names);
  const started = Date.now();
  switch (command) {
    case 'install':
      if (names.length === 0) await testServers.install();
      else for (const server of chosen) await server.install();
      console.log(`test-servers: everything installed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return 0;
    case 'start': {
      const results =
        names.length === 0
          ? await testServers.start({ mode: 'manual', asUser: false })
          : await Promise.all(chosen.map((server) => server.start({ mode: 'manual', asUser: false })));
      for (const result of results) {
        console.log(`${result.name.padEnd(17)}${result.address.padEnd(26)}pid ${result.pid} ${result.reused ? '(reused)' : '(started)'}`);
      }
      console.log(`run folder ${testServers.settings.runDir} (logs in <server>/<server>.log); ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'stop':
      for (const server of chosen) {
        const { users } = await server.status();
        const note = users.length > 0 ? ` (test runs ${users.join(' ')} were still using it)` : '';
        console.log(`${server.name.padEnd(17)}${(await server.stop()).replace('_', ' ')}${note}`);
      }
      return 0;
    case 'status': {
      const statuses = await Promise.all(chosen.map((server) => server.status()));
      if (json) console.log(JSON.stringify(statuses, null, 2));
      else for (const status of statuses) console.log(formatStatus(status));
      return statuses.every((status) => status.healthy || (names.length === 0 && ON_DEMAND.has(status.name) && !status.running)) ? 0 : 1;
    }
  }
}

/** `fleetwire test-servers …`; returns the exit code. */
export async function runTestServersCommand(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const words = argv.filter((arg) => arg !== '--json');
  const [command, ...names] = words;
  if (command === undefined || words.includes('--help') || words.includes('-h') || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!(COMMANDS as readonly string[]).includes(command)) {
    console.error(`test-servers: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await execute(command as CommandName, names, json);
  } catch (error) {
    if (!(error instanceof TestServerError)) throw error;
    console.error(`test-servers: ${error.code}: ${error.message}`);
    return 1;
  }
}
