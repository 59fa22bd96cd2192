import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { findProgram } from './debian-packages.js';
import { TestServerError } from './errors.js';
import { fetchKafkaJars, kafkaCompatVersion, kafkaLibsDir, kafkaVersion } from './kafka-jars.js';
import { isPortOpen } from './process.js';
import type { ServerContext, ServerDefinition, ServerName } from './server.js';
import type { TestServerSettings } from './settings.js';

/**
 * Apache Kafka, one node in KRaft combined mode (broker and controller in one JVM), on
 * loopback. Its data folder is wiped and formatted with a new cluster id on every fresh
 * start: test topics never leak from one server life into the next. Three flavours share this
 * definition: the default broker, the compatibility broker and the SASL_SSL broker.
 */
const run = promisify(execFile);

export interface KafkaPropertiesOptions {
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  /** Replaces the plaintext client listener (the SASL_SSL broker): listeners, protocol map and security settings. */
  listeners?: KafkaListeners;
}

export interface KafkaListeners {
  /** e.g. `SASL_SSL://127.0.0.1:19096,INTERNAL://127.0.0.1:19098` (the controller listener is added). */
  listeners: string;
  advertised: string;
  /** e.g. `SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT` (the controller's is added). */
  protocolMap: string;
  interBroker: string;
  extra: Record<string, string | number | boolean>;
}

/** server.properties for a single-node test cluster: replication 1 everywhere, quick group joins. */
export function kafkaServerProperties(options: KafkaPropertiesOptions): string {
  const { host, port, controllerPort, dataDir, listeners } = options;
  const controller = `CONTROLLER://${host}:${controllerPort}`;
  const properties: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    listeners: listeners === undefined ? `PLAINTEXT://${host}:${port},${controller}` : `${listeners.listeners},${controller}`,
    'advertised.listeners': listeners?.advertised ?? `PLAINTEXT://${host}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': listeners?.interBroker ?? 'PLAINTEXT',
    'listener.security.protocol.map': `CONTROLLER:PLAINTEXT,${listeners?.protocolMap ?? 'PLAINTEXT:PLAINTEXT'}`,
    'log.dirs': dataDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'auto.create.topics.enable': true,
    'offsets.topic.replication.factor': 1,
    // Fewer internal partitions than the default 50 make the first consumer group join fast.
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    // Consumers in tests join alone; the default 3 s wait for more members only slows them.
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'log.retention.hours': 24,
    ...listeners?.extra,
  };
  return `${Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

// `fleetwire.log.level` lets the storage tool run quietly with the same file.
const LOG4J_PROPERTIES = `log4j.rootLogger=\${fleetwire.log.level}, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
`;

/** A Kafka cluster id: 16 random bytes, base64url; Kafka's own generator also avoids a leading '-'. */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function javaCommand(): string {
  const fromHome = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  return fromHome ?? findProgram('java') ?? 'java';
}

/**
 * One flavour of test broker: the default (Kafka 4.x, plaintext), the compatibility one (the
 * older line the bus must still serve) or the secured one (SASL_SSL, `kafka-secure.ts`).
 */
export interface KafkaVariant {
  name: ServerName;
  version(): string;
  /** The port clients are given, and every port the JVM listens on. */
  clientPort(settings: TestServerSettings): number;
  ports(settings: TestServerSettings): number[];
  controllerPort(settings: TestServerSettings): number;
  /** Where the readiness probe connects in plaintext (the client port unless the broker is secured). */
  probePort(settings: TestServerSettings): number;
  /** Extra work in the server's folder before formatting (certificates); returns listeners and format arguments. */
  secure?(context: ServerContext): Promise<{ listeners: KafkaListeners; formatArgs: string[] }>;
  hint: string;
}

async function format(java: string, log4j: string, classpath: string[], config: string, extra: string[], dataDir: string): Promise<void> {
  try {
    await run(
      java,
      [`-Dlog4j.configuration=file:${log4j}`, '-Dfleetwire.log.level=WARN', '-Xmx256m', ...classpath,
        'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', config, ...extra],
      { timeout: 60_000 },
    );
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new TestServerError(
      'FW_TEST_SERVER_START_FAILED',
      `kafka: formatting the storage in ${dataDir} failed:\n${(failed.stderr || failed.stdout || String(error)).trim()}`,
      { cause: error },
    );
  }
}

function prepareWith(variant: KafkaVariant) {
  return async (context: ServerContext) => {
    const { settings, dir } = context;
    const libs = kafkaLibsDir(settings.cacheDir, variant.version());
    const dataDir = join(dir, 'data');
    const config = join(dir, 'server.properties');
    const log4j = join(dir, 'log4j.properties');
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(dataDir, { recursive: true });
    const secured = await variant.secure?.(context);
    await writeFile(
      config,
      kafkaServerProperties({
        host: settings.host, port: variant.clientPort(settings), controllerPort: variant.controllerPort(settings), dataDir,
        ...(secured === undefined ? {} : { listeners: secured.listeners }),
      }),
    );
    await writeFile(log4j, LOG4J_PROPERTIES);
    const classpath = ['-cp', join(libs, '*')];
    const java = javaCommand();
    await format(java, log4j, classpath, config, secured?.formatArgs ?? [], dataDir);
    return {
      command: java,
      args: [
        '-Xms128m',
        '-Xmx512m',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${log4j}`,
        '-Dfleetwire.log.level=INFO',
        ...classpath,
        'kafka.Kafka',
        config,
      ],
      cwd: dir,
    };
  };
}

/**
 * Ready once the broker answers metadata requests, lists itself and coordinates consumer groups:
 * a fresh broker answers metadata before its group coordinator has loaded, and a consumer that
 * meets that state gives up for good.
 */
async function probeAt(host: string, port: number): Promise<boolean> {
  if (!(await isPortOpen(host, port))) return false;
  const kafka = new Kafka({
    clientId: 'fleetwire-test-servers',
    brokers: [`${host}:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.listTopics();
    await admin.describeGroups(['fleetwire-test-servers-probe']);
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function createKafkaServer(variant: KafkaVariant): ServerDefinition {
  return {
    name: variant.name,
    debianPrograms: [
      { program: 'java', debianPackage: 'openjdk-17-jre-headless' },
      { program: 'mvn', debianPackage: 'maven' },
      ...(variant.secure === undefined ? [] : [{ program: 'openssl', debianPackage: 'openssl' }]),
    ],
    async fetch(context) {
      await fetchKafkaJars(context.settings.cacheDir, variant.version(), context.progress);
    },
    ports: variant.ports,
    address: (settings) => `${settings.host}:${variant.clientPort(settings)}`,
    prepare: prepareWith(variant),
    probe: (settings) => probeAt(settings.host, variant.probePort(settings)),
    // A cold JVM on a 2-core machine shared with other test runs has taken 20 s; leave ample room.
    readyTimeoutMs: 120_000,
    stopGraceMs: 30_000,
    hint:
      `Java 17 (\`java -version\`), the jars in FLEETWIRE_CACHE_DIR (~/.cache/fleetwire/kafka-${variant.version()}/libs; ` +
      `delete the folder to fetch them again), ${variant.hint} and free memory for a 512 MB heap`,
  };
}

/** The default test broker: the Kafka line new clusters run (deploy/kafka/pom.xml, `kafka.version`). */
export const kafkaServer: ServerDefinition = createKafkaServer({
  name: 'kafka',
  version: () => kafkaVersion(),
  clientPort: (settings) => settings.kafkaPort,
  controllerPort: (settings) => settings.kafkaControllerPort,
  ports: (settings) => [settings.kafkaPort, settings.kafkaControllerPort],
  probePort: (settings) => settings.kafkaPort,
  hint: 'free ports (FLEETWIRE_KAFKA_PORT, FLEETWIRE_KAFKA_CONTROLLER_PORT)',
});

/** The older line the bus still serves (`kafka.compat.version`), for the conformance suite only; started on demand. */
export const kafkaCompatServer: ServerDefinition = createKafkaServer({
  name: 'kafka-compat',
  version: () => kafkaCompatVersion(),
  clientPort: (settings) => settings.kafkaCompatPort,
  controllerPort: (settings) => settings.kafkaCompatControllerPort,
  ports: (settings) => [settings.kafkaCompatPort, settings.kafkaCompatControllerPort],
  probePort: (settings) => settings.kafkaCompatPort,
  hint: 'free ports (FLEETWIRE_KAFKA_COMPAT_PORT, FLEETWIRE_KAFKA_COMPAT_CONTROLLER_PORT)',
});
