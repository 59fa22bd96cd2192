/**
 * The cloud's configuration: one validated object, read from an optional JSON file, then
 * overridden by `FLEETWIRE_CLOUD_*` environment variables, then filled with the documented
 * defaults below. With no file and no environment the cloud runs on one machine: embedded bus
 * under `.fleetwire/cloud`, no time-series sink, HTTP on port 8080. See docs/cloud.md.
 */
import { RateLimitSettingsSchema } from './http/rate-limits.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { BUS_CONFIG_SCHEMAS, BusConfigSchema, type BusConfig } from './bus/config-schema.js';
import { problemList, schemaProblems, type ProblemRefiner } from '@fleetwire/protocol';
import { AuditSettingsSchema } from './audit/settings.js';
import { CommandsSettingsSchema } from './commands/settings.js';
import { BusinessEventsSettingsSchema } from './business-events/settings.js';
import { CloudError } from './errors.js';
import { NodeEntrySchema } from './ingest/auth/auth-file.js';
import { IngestSettingsSchema } from './ingest/settings.js';
import { AnalyticsSettingsSchema } from './services/analytics/settings.js';
import { FleetSettingsSchema } from './services/fleet/settings.js';
import { DashboardSettingsSchema } from './dashboard/settings.js';
import { MaintenanceSettingsSchema } from './services/maintenance/settings.js';
import { ReturnsSettingsSchema } from './services/returns/settings.js';

export const CloudConfigSchema = Type.Object(
  {
    /** Where the embedded bus and the default auth file live. */
    dataDir: Type.String({ minLength: 1, default: '.fleetwire/cloud' }),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
      { default: 'info' },
    ),
    http: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        /**
         * Processes serving this port (node:cluster), each a whole cloud with its own bus client:
         * ingest is stateless, so more processes use more cores. Above 1 only for an ingest tier —
         * Kafka bus, and the stateful services (fleet, analytics, maintenance, audit) off; they
         * run in their own process (cloud-processes.ts).
         */
        processes: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
        /** HTTPS; with `requestClientCert` a node may authenticate by a client certificate (CN = node id). */
        tls: Type.Optional(
          Type.Object(
            {
              certFile: Type.String({ minLength: 1 }),
              keyFile: Type.String({ minLength: 1 }),
              /** CA that signs node certificates; required with `requestClientCert` (see below). */
              caFile: Type.Optional(Type.String({ minLength: 1 })),
              requestClientCert: Type.Boolean({ default: false }),
            },
            { additionalProperties: false },
          ),
        ),
        /**
         * The operator's own listener: when set, health, readiness, metrics, the fleet, audit and
         * analytics APIs and the dashboard move there, and the listener above serves only what
         * nodes and business clients call (ingest, business events).
         */
        operator: Type.Optional(
          Type.Object(
            { host: Type.String({ default: '127.0.0.1' }), port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464 }) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    /** `{ kind: 'embedded', path?, … }` or `{ kind: 'kafka', brokers, … }`: the bus factory's options (bus/config-schema.ts). */
    bus: BusConfigSchema,
    /** The time-series sink (InfluxDB v2 write API, e.g. VictoriaMetrics); absent = not run. */
    tsdb: Type.Optional(
      Type.Object(
        {
          /** May carry `user:password@` (sent as basic auth); logged only redacted. */
          url: Type.String({ minLength: 1 }),
          org: Type.String({ default: 'fleetwire' }),
          bucket: Type.String({ default: 'fleetwire' }),
          token: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    auth: Type.Object(
      {
        /** JSON auth file (see ingest/auth/auth-file.ts); default `{dataDir}/auth.json`. */
        file: Type.Optional(Type.String({ minLength: 1 })),
        /** Nodes given inline, in addition to the file's. */
        nodes: Type.Array(NodeEntrySchema, { default: [] }),
        /** How often the file's mtime is checked for a reload (SIGHUP reloads at once). */
        reloadIntervalMs: Type.Integer({ minimum: 1, default: 5000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    ingest: IngestSettingsSchema,
    /** Token buckets per node, per business client and per source address (http/rate-limits.ts). */
    rateLimits: RateLimitSettingsSchema,
    /** The business events API for booking, payment and user services (business-events/settings.ts). */
    businessEvents: BusinessEventsSettingsSchema,
    /** The fleet state service, its read-only API and the dashboard (services/fleet/settings.ts). */
    fleet: FleetSettingsSchema,
    /** The dashboard's history window, demand spikes and map (dashboard/settings.ts); runs with the fleet service. */
    dashboard: DashboardSettingsSchema,
    /** Daily usage reports, fleet snapshots, demand spikes (services/analytics/settings.ts). */
    analytics: AnalyticsSettingsSchema,
    /** The maintenance prediction service (services/maintenance/settings.ts). */
    maintenance: MaintenanceSettingsSchema,
    /** The hash-chained audit trail and GET /v1/audit (audit/settings.ts). */
    audit: AuditSettingsSchema,
    /** The return saga, its payment webhook and GET /v1/returns (services/returns/settings.ts). */
    returns: ReturnsSettingsSchema,
    /** Commands to vehicles: /v1/commands and the edge nodes' downlink (commands/settings.ts). */
    commands: CommandsSettingsSchema,
  },
  { additionalProperties: false },
);

export type CloudConfig = Static<typeof CloudConfigSchema>;

/** Environment overrides: variable → where it goes and how its text is read. */
const ENV_OVERRIDES: ReadonlyArray<{ name: string; path: string[]; parse?: (text: string) => unknown }> = [
  { name: 'FLEETWIRE_CLOUD_DATA_DIR', path: ['dataDir'] },
  { name: 'FLEETWIRE_CLOUD_LOG_LEVEL', path: ['logLevel'] },
  { name: 'FLEETWIRE_CLOUD_HOST', path: ['http', 'host'] },
  { name: 'FLEETWIRE_CLOUD_PORT', path: ['http', 'port'], parse: Number },
  { name: 'FLEETWIRE_CLOUD_PROCESSES', path: ['http', 'processes'], parse: Number },
  { name: 'FLEETWIRE_CLOUD_OPERATOR_HOST', path: ['http', 'operator', 'host'] },
  { name: 'FLEETWIRE_CLOUD_OPERATOR_PORT', path: ['http', 'operator', 'port'], parse: Number },
  { name: 'FLEETWIRE_CLOUD_TLS_CERT', path: ['http', 'tls', 'certFile'] },
  { name: 'FLEETWIRE_CLOUD_TLS_KEY', path: ['http', 'tls', 'keyFile'] },
  { name: 'FLEETWIRE_CLOUD_TLS_CA', path: ['http', 'tls', 'caFile'] },
  { name: 'FLEETWIRE_CLOUD_TLS_CLIENT_CERT', path: ['http', 'tls', 'requestClientCert'], parse: (t) => t === 'true' },
  {
    name: 'FLEETWIRE_CLOUD_KAFKA_BROKERS',
    path: ['bus'],
    parse: (text) => ({ kind: 'kafka', brokers: text.split(',').map((b) => b.trim()).filter(Boolean) }),
  },
  { name: 'FLEETWIRE_CLOUD_TSDB_URL', path: ['tsdb', 'url'] },
  { name: 'FLEETWIRE_CLOUD_TSDB_ORG', path: ['tsdb', 'org'] },
  { name: 'FLEETWIRE_CLOUD_TSDB_BUCKET', path: ['tsdb', 'bucket'] },
  { name: 'FLEETWIRE_CLOUD_TSDB_TOKEN', path: ['tsdb', 'token'] },
  { name: 'FLEETWIRE_CLOUD_AUTH_FILE', path: ['auth', 'file'] },
  { name: 'FLEETWIRE_CLOUD_FLEET_READ_TOKEN', path: ['fleet', 'readToken'] },
  { name: 'FLEETWIRE_CLOUD_BUSINESS_CLIENTS_FILE', path: ['businessEvents', 'clientsFile'] },
  { name: 'FLEETWIRE_CLOUD_PSEUDONYM_KEY_FILE', path: ['businessEvents', 'pseudonymKeyFile'] },
  { name: 'FLEETWIRE_CLOUD_AUDIT_PATH', path: ['audit', 'path'] },
  { name: 'FLEETWIRE_CLOUD_PAYMENT_WEBHOOK_URL', path: ['returns', 'payment', 'webhookUrl'] },
  { name: 'FLEETWIRE_CLOUD_PAYMENT_WEBHOOK_TOKEN', path: ['returns', 'payment', 'token'] },
];

export const ENV_VARIABLES: readonly string[] = ENV_OVERRIDES.map((entry) => entry.name);

/**
 * Fills defaults and validates; throws FW_CONFIG_INVALID listing every problem at once: wrong
 * values, unknown keys at any level (a typo must not silently fall back to a default), and
 * settings that are unsafe together.
 */
export function resolveCloudConfig(input: unknown): CloudConfig {
  const value = Value.Default(CloudConfigSchema, structuredClone(input ?? {}));
  const problems = [...schemaProblems(CloudConfigSchema, value, busProblems), ...combinationProblems(value)];
  if (problems.length > 0 || !Value.Check(CloudConfigSchema, value)) {
    throw new CloudError('FW_CONFIG_INVALID', problemList('cloud configuration', problems.length > 0 ? problems : ['/: invalid']));
  }
  return value;
}

/** A `bus` matching neither kind: name the problems of the kind it says it is. */
const busProblems: ProblemRefiner = (error) => {
  if (error.path !== '/bus' || error.type !== ValueErrorType.Union) return undefined;
  const kind: unknown = isPlainObject(error.value) ? error.value.kind : undefined;
  const schema = typeof kind === 'string' ? BUS_CONFIG_SCHEMAS[kind as keyof typeof BUS_CONFIG_SCHEMAS] : undefined;
  if (schema === undefined) return [`/bus/kind: must be one of ${Object.keys(BUS_CONFIG_SCHEMAS).join(', ')}`];
  // The union filled no defaults into a branch that failed: fill this one's before naming what is wrong.
  return schemaProblems(schema, Value.Default(schema, structuredClone(error.value)), undefined, '/bus');
};

function combinationProblems(value: unknown): string[] {
  const http = isPlainObject(value) && isPlainObject(value.http) ? value.http : undefined;
  const tls = http !== undefined && isPlainObject(http.tls) ? http.tls : undefined;
  const problems: string[] = [];
  // Without a CA of our own, Node would verify client certificates against its public root CAs:
  // anyone with a certificate from a public CA and a node id as CN could authenticate as that node.
  if (tls?.requestClientCert === true && tls.caFile === undefined) {
    problems.push('/http/tls/caFile: required with requestClientCert (the CA that signs node certificates); without it every public CA would be trusted');
  }
  if (typeof http?.processes === 'number' && http.processes > 1) problems.push(...severalProcessesProblems(value as Record<string, unknown>));
  return problems;
}

/**
 * Several processes share one port, and a request lands on any of them: fine for ingest, which
 * keeps no state a neighbour needs, but the embedded log is one SQLite file with one writer, and
 * each service would consume a share of the partitions and answer its API from that share only.
 */
function severalProcessesProblems(value: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (!isPlainObject(value.bus) || value.bus.kind !== 'kafka') problems.push('/http/processes: above 1 needs the Kafka bus (the embedded log has one writer)');
  for (const service of ['fleet', 'analytics', 'maintenance', 'audit', 'returns', 'commands']) {
    const section = value[service];
    if (!isPlainObject(section) || section.enabled !== false) {
      problems.push(`/${service}/enabled: must be false with http.processes above 1 (run the ${service} service in its own process)`);
    }
  }
  return problems;
}

/**
 * Settings that work but are probably not meant, said at start-up instead of refused: the
 * single-instance setups of tests and demos run them on purpose.
 */
export function configWarnings(config: CloudConfig): string[] {
  const warnings: string[] = [];
  const { bus, analytics } = config;
  // A killed member's partitions fall silent until another member resumes them (after the
  // session timeout and a restore); an idle window shorter than that closes days without them.
  if (analytics.enabled && bus.kind === 'kafka' && analytics.idlePartitionMs < 2 * bus.sessionTimeoutMs) {
    warnings.push(
      `/analytics/idlePartitionMs (${analytics.idlePartitionMs}) is under twice /bus/sessionTimeoutMs (${bus.sessionTimeoutMs}): ` +
        'if an analytics member dies, the days its partitions hold back can close without their records before another member resumes them',
    );
  }
  return warnings;
}

export interface LoadCloudConfigOptions {
  file?: string;
  env?: Record<string, string | undefined>;
}

export function loadCloudConfig(options: LoadCloudConfigOptions = {}): CloudConfig {
  const input = options.file === undefined ? {} : readJson(options.file);
  for (const { name, path, parse } of ENV_OVERRIDES) {
    const text = (options.env ?? process.env)[name];
    if (text !== undefined && text !== '') setPath(input, path, parse === undefined ? text : parse(text));
  }
  return resolveCloudConfig(input);
}

/** The bus factory's config: the embedded log lives in the data dir unless given a path. */
export function busConfigOf(config: CloudConfig): BusConfig {
  const { bus } = config;
  if (bus.kind === 'embedded') return { ...bus, path: bus.path ?? join(config.dataDir, 'bus.sqlite') };
  return bus;
}

export function authFileOf(config: CloudConfig): string {
  return config.auth.file ?? join(config.dataDir, 'auth.json');
}

export function clientsFileOf(config: CloudConfig): string {
  return config.businessEvents.clientsFile ?? join(config.dataDir, 'business-clients.json');
}

export function commandLogOf(config: CloudConfig): string {
  return config.commands.path ?? join(config.dataDir, 'commands.sqlite');
}

export function auditLogOf(config: CloudConfig): string {
  return config.audit.path ?? join(config.dataDir, 'audit.sqlite');
}

export function returnStoreOf(config: CloudConfig): string {
  return config.returns.path ?? join(config.dataDir, 'returns.sqlite');
}

export function pseudonymKeyFileOf(config: CloudConfig): string {
  return config.businessEvents.pseudonymKeyFile ?? join(config.dataDir, 'pseudonym.key');
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new CloudError('FW_CONFIG_INVALID', `cannot read config file ${file}`, { cause });
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const key = path[path.length - 1] as string;
  const current = node[key];
  // An override of an object section (the Kafka brokers) keeps the file's other keys there —
  // unless it switches the section's kind: an embedded bus's options mean nothing to Kafka.
  const sameKind = isPlainObject(current) && isPlainObject(value) && (current.kind === undefined || current.kind === value.kind);
  node[key] = sameKind ? { ...current, ...value } : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
