import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestServerError } from './errors.js';

/**
 * Where the test servers listen and keep their files. Every value can be overridden by an
 * environment variable so that two checkouts (or a developer's own servers) can coexist.
 */
export interface TestServerSettings {
  /** Loopback only: the servers are never reachable from outside the machine. */
  host: '127.0.0.1';
  /** Run folder: pid/state files, locks, configs, logs and data. FLEETWIRE_TEST_SERVERS_DIR, default <tmp>/fleetwire-test-servers. */
  runDir: string;
  /** Downloads kept across runs (the Kafka jars). FLEETWIRE_CACHE_DIR, default ~/.cache/fleetwire. */
  cacheDir: string;
  /** Kafka client listener. FLEETWIRE_KAFKA_PORT, default 19092. */
  kafkaPort: number;
  /** Kafka KRaft controller listener. FLEETWIRE_KAFKA_CONTROLLER_PORT, default 19093. */
  kafkaControllerPort: number;
  /** VictoriaMetrics HTTP (InfluxDB v2 write API, Prometheus query API). FLEETWIRE_VICTORIA_METRICS_PORT, default 18428. */
  victoriaMetricsPort: number;
  /** Mosquitto MQTT listener. FLEETWIRE_MQTT_PORT, default 11883. */
  mqttPort: number;
  /** The compatibility Kafka (the older line, started on demand). FLEETWIRE_KAFKA_COMPAT_PORT, default 19094. */
  kafkaCompatPort: number;
  /** Its controller. FLEETWIRE_KAFKA_COMPAT_CONTROLLER_PORT, default 19095. */
  kafkaCompatControllerPort: number;
  /** The SASL_SSL Kafka's client listener (started on demand). FLEETWIRE_KAFKA_SECURE_PORT, default 19096. */
  kafkaSecurePort: number;
  /** Its controller. FLEETWIRE_KAFKA_SECURE_CONTROLLER_PORT, default 19097. */
  kafkaSecureControllerPort: number;
  /** Its plaintext listener for the broker itself and the readiness probe. FLEETWIRE_KAFKA_SECURE_INTERNAL_PORT, default 19098. */
  kafkaSecureInternalPort: number;
}

export const DEFAULT_PORTS = {
  kafkaPort: 19092,
  kafkaControllerPort: 19093,
  victoriaMetricsPort: 18428,
  mqttPort: 11883,
  kafkaCompatPort: 19094,
  kafkaCompatControllerPort: 19095,
  kafkaSecurePort: 19096,
  kafkaSecureControllerPort: 19097,
  kafkaSecureInternalPort: 19098,
} as const;

const PORT_VARIABLES: Record<keyof typeof DEFAULT_PORTS, string> = {
  kafkaPort: 'FLEETWIRE_KAFKA_PORT',
  kafkaControllerPort: 'FLEETWIRE_KAFKA_CONTROLLER_PORT',
  victoriaMetricsPort: 'FLEETWIRE_VICTORIA_METRICS_PORT',
  mqttPort: 'FLEETWIRE_MQTT_PORT',
  kafkaCompatPort: 'FLEETWIRE_KAFKA_COMPAT_PORT',
  kafkaCompatControllerPort: 'FLEETWIRE_KAFKA_COMPAT_CONTROLLER_PORT',
  kafkaSecurePort: 'FLEETWIRE_KAFKA_SECURE_PORT',
  kafkaSecureControllerPort: 'FLEETWIRE_KAFKA_SECURE_CONTROLLER_PORT',
  kafkaSecureInternalPort: 'FLEETWIRE_KAFKA_SECURE_INTERNAL_PORT',
};

function readPort(env: NodeJS.ProcessEnv, key: keyof typeof DEFAULT_PORTS): number {
  const variable = PORT_VARIABLES[key];
  const raw = env[variable];
  if (raw === undefined || raw === '') return DEFAULT_PORTS[key];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new TestServerError(
      'FW_TEST_SERVER_SETTINGS_INVALID',
      `${variable}=${raw} is not a usable port: give an integer between 1024 and 65535`,
    );
  }
  return port;
}

export function readTestServerSettings(env: NodeJS.ProcessEnv = process.env): TestServerSettings {
  const settings: TestServerSettings = {
    host: '127.0.0.1',
    runDir: env.FLEETWIRE_TEST_SERVERS_DIR || join(tmpdir(), 'fleetwire-test-servers'),
    cacheDir: env.FLEETWIRE_CACHE_DIR || join(homedir(), '.cache', 'fleetwire'),
    kafkaPort: readPort(env, 'kafkaPort'),
    kafkaControllerPort: readPort(env, 'kafkaControllerPort'),
    victoriaMetricsPort: readPort(env, 'victoriaMetricsPort'),
    mqttPort: readPort(env, 'mqttPort'),
    kafkaCompatPort: readPort(env, 'kafkaCompatPort'),
    kafkaCompatControllerPort: readPort(env, 'kafkaCompatControllerPort'),
    kafkaSecurePort: readPort(env, 'kafkaSecurePort'),
    kafkaSecureControllerPort: readPort(env, 'kafkaSecureControllerPort'),
    kafkaSecureInternalPort: readPort(env, 'kafkaSecureInternalPort'),
  };
  const ports = Object.keys(DEFAULT_PORTS).map((key) => settings[key as keyof typeof DEFAULT_PORTS]);
  if (new Set(ports).size !== ports.length) {
    throw new TestServerError(
      'FW_TEST_SERVER_SETTINGS_INVALID',
      `the test server ports must differ, got ${ports.join(', ')} (${Object.values(PORT_VARIABLES).join(', ')})`,
    );
  }
  return settings;
}
