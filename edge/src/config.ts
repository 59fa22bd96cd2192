/**
 * The edge agent's one options object: a JSON config file, `FLEETWIRE_EDGE_*` environment
 * overrides, then the defaults. Each component owns the schema of its section, with its
 * defaults (`settings.ts` says how); this file composes them, adds the checks that span
 * sections, and refuses a config with every problem listed at once — unknown keys included, in
 * every section, and naming the environment variable a wrong value came from. docs/edge.md
 * documents each option.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Kind, Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { problemList } from '@fleetwire/protocol';
import { BufferSettingsSchema } from './buffer/sqlite/options.js';
import { EdgeError } from './errors.js';
import { HttpSettingsSchema, PhotoApiSettingsSchema } from './http/settings.js';
import { BridgeSettingsSchema, DevicesSettingsSchema, IntakeSettingsSchema, MqttSettingsSchema } from './intake/settings.js';
import { OcppOptionsSchema } from './intake/ocpp/options.js';
import { TelemetryOptionsSchema } from './intake/telemetry-options.js';
import { RulesSettingsSchema } from './rules/settings.js';
import { isObject, isPathOption, optionProblems, optionSchemaAt, PathOption, resolvePathOptions } from './settings.js';
import { weakSecretProblem } from './secret-strength.js';
import { CloudSettingsSchema, UplinkSettingsSchema } from './uplink/options.js';
import { VisionSettingsSchema } from './vision/settings.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const EdgeConfigSchema = Type.Object(
  {
    nodeId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', default: defaultNodeId() }),
    dataDir: PathOption('.fleetwire/edge'),
    logLevel: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), { default: 'info' }),
    cloud: CloudSettingsSchema,
    uplink: UplinkSettingsSchema,
    /** The buffer's file is `{dataDir}/buffer.sqlite`. */
    buffer: BufferSettingsSchema,
    devices: DevicesSettingsSchema,
    mqtt: MqttSettingsSchema,
    bridge: BridgeSettingsSchema,
    intake: IntakeSettingsSchema,
    /** Unknown-field policy and physics limits (intake/telemetry-options.ts). */
    telemetry: TelemetryOptionsSchema,
    /** The OCPP-J central system (intake/ocpp/options.ts). */
    ocpp: OcppOptionsSchema,
    rules: RulesSettingsSchema,
    /** The operator's listener: health, readiness, metrics. */
    http: HttpSettingsSchema,
    /** The mobile app's listener: the photo API (with vision.enabled). */
    photoApi: PhotoApiSettingsSchema,
    vision: VisionSettingsSchema,
  },
  { additionalProperties: false },
);

export type EdgeConfig = Static<typeof EdgeConfigSchema>;

/** Environment overrides: variable → dotted option path. Integers and booleans (true | false) are parsed. */
export const ENV_OVERRIDES: Readonly<Record<string, string>> = {
  FLEETWIRE_EDGE_NODE_ID: 'nodeId',
  FLEETWIRE_EDGE_DATA_DIR: 'dataDir',
  FLEETWIRE_EDGE_LOG_LEVEL: 'logLevel',
  FLEETWIRE_EDGE_CLOUD_URL: 'cloud.url',
  FLEETWIRE_EDGE_NODE_TOKEN: 'cloud.token',
  FLEETWIRE_EDGE_CLOUD_CA_FILE: 'cloud.caFile',
  FLEETWIRE_EDGE_CLOUD_CERT_FILE: 'cloud.certFile',
  FLEETWIRE_EDGE_CLOUD_KEY_FILE: 'cloud.keyFile',
  FLEETWIRE_EDGE_DEVICES_FILE: 'devices.registryFile',
  FLEETWIRE_EDGE_MQTT_HOST: 'mqtt.host',
  FLEETWIRE_EDGE_MQTT_PORT: 'mqtt.port',
  FLEETWIRE_EDGE_HTTP_HOST: 'http.host',
  FLEETWIRE_EDGE_HTTP_PORT: 'http.port',
  FLEETWIRE_EDGE_PHOTO_API_HOST: 'photoApi.host',
  FLEETWIRE_EDGE_PHOTO_API_PORT: 'photoApi.port',
  FLEETWIRE_EDGE_BRIDGE_URL: 'bridge.url',
  FLEETWIRE_EDGE_BRIDGE_PASSWORD: 'bridge.password',
  FLEETWIRE_EDGE_VISION_ENABLED: 'vision.enabled',
  FLEETWIRE_EDGE_RETURN_TOKEN_SECRET: 'vision.returnTokenSecret',
  FLEETWIRE_EDGE_RETURN_TOKEN_KEYS_FILE: 'vision.returnTokenKeysFile',
  FLEETWIRE_EDGE_RETURN_AREAS_FILE: 'vision.returnAreasFile',
  FLEETWIRE_EDGE_VISION_MODEL_VARIANT: 'vision.models.variant',
};

/** Option paths that hold secrets: redacted when printed or logged. */
export const SECRET_PATHS = ['cloud.token', 'bridge.password', 'vision.returnTokenSecret', 'ocpp.idTagKey'] as const;

export interface LoadConfigOptions {
  /** JSON config file; relative paths inside it resolve against its folder. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Highest precedence; used by tests and embedding. */
  overrides?: Record<string, unknown>;
  cwd?: string;
}

export function loadEdgeConfig(options: LoadConfigOptions = {}): EdgeConfig {
  const cwd = options.cwd ?? process.cwd();
  let fromFile: unknown = {};
  let baseDir = cwd;
  if (options.file !== undefined) {
    const file = resolve(cwd, options.file);
    baseDir = dirname(file);
    fromFile = readConfigFile(file);
  }
  const env = envToInput(options.env ?? {}, cwd);
  const problems = [...env.problems];
  if (!isObject(fromFile)) problems.push('config: the file must hold a JSON object');
  const overrides = options.overrides ?? {};
  const input = merge(merge(isObject(fromFile) ? fromFile : {}, env.values), overrides);
  // Paths given in the file (or by the embedder) are relative to the file; the environment's
  // were made absolute against the working directory, and so are the defaults, below.
  resolvePathOptions(EdgeConfigSchema, input, baseDir);
  bridgeCommitDefault(input);
  const value: unknown = Value.Default(EdgeConfigSchema, input);
  resolvePathOptions(EdgeConfigSchema, value, cwd);
  const fromEnv = env.paths.filter((entry) => !hasPath(overrides, entry.path));
  for (const problem of optionProblems(EdgeConfigSchema, value, 'config')) {
    const source = fromEnv.find((entry) => problem.startsWith(`config.${entry.path.join('.')}:`));
    problems.push(source === undefined ? problem : `${problem} (set by ${source.name})`);
  }
  // The checks across sections also run on a config with wrong values (defaults in their
  // place), so that the first start lists everything that is wrong.
  const config = withDefaultsForProblems(value);
  problems.push(...crossChecks(config));
  if (problems.length > 0) throw new EdgeError('FW_CONFIG_INVALID', problemList('edge configuration', problems));
  if (config.bridge.clientId === '') config.bridge.clientId = `fleetwire-edge-${config.nodeId}`;
  return config;
}

/**
 * mqtt.js hands the bridge one message at a time, each waiting for its commit: a group commit
 * tick would cap the bridge at one message per tick (measured ~100 msg/s at 5 ms, ~1,100 msg/s
 * at 0). So with the bridge on, the buffer commits on the next event-loop turn unless set.
 */
function bridgeCommitDefault(input: Record<string, unknown>): void {
  if (!isObject(input.bridge) || input.bridge.enabled !== true) return;
  const buffer = input.buffer === undefined ? {} : input.buffer;
  if (!isObject(buffer) || buffer.commitIntervalMs !== undefined) return;
  input.buffer = { ...buffer, commitIntervalMs: 0 };
}

/** The value with every wrong or unknown option dropped and its default put back. */
function withDefaultsForProblems(value: unknown): EdgeConfig {
  const repaired = structuredClone(value);
  for (const error of Value.Errors(EdgeConfigSchema, repaired)) {
    dropFirstWrong(EdgeConfigSchema, repaired, error.path.split('/').filter((part) => part !== ''));
  }
  const config: unknown = Value.Default(EdgeConfigSchema, isObject(repaired) ? repaired : {});
  if (!Value.Check(EdgeConfigSchema, config)) throw new EdgeError('FW_CONFIG_INVALID', problemList('edge configuration', optionProblems(EdgeConfigSchema, config, 'config')));
  return config;
}

function dropFirstWrong(schema: TSchema, holder: unknown, path: readonly string[]): void {
  const [key, ...rest] = path;
  if (key === undefined || !isObject(holder)) return;
  const child: TSchema | undefined = schema[Kind] === 'Object' ? (schema as TObject).properties[key] : undefined;
  if (child === undefined || child[Kind] !== 'Object' || rest.length === 0 || !isObject(holder[key])) {
    delete holder[key];
    return;
  }
  dropFirstWrong(child, holder[key], rest);
}

/** The config with secrets replaced, for `--print-config` and logs. */
export function redactConfig(config: EdgeConfig): EdgeConfig {
  const copy = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const path of SECRET_PATHS) {
    const [group, key] = path.split('.') as [string, string];
    const holder = copy[group];
    if (holder !== undefined && holder[key] !== '') holder[key] = '[redacted]';
  }
  return copy as unknown as EdgeConfig;
}

function crossChecks(config: EdgeConfig): string[] {
  const problems: string[] = [];
  if (!config.mqtt.enabled && !config.bridge.enabled && !config.ocpp.enabled) problems.push('config: enable mqtt (embedded broker), bridge, ocpp, or several');
  if (config.mqtt.enabled && config.devices.registryFile === '') {
    problems.push('config.devices.registryFile: required when mqtt.enabled (the embedded broker authenticates devices against it)');
  }
  if (config.mqtt.tls.enabled && (config.mqtt.tls.keyFile === '' || config.mqtt.tls.certFile === '')) {
    problems.push('config.mqtt.tls: keyFile and certFile are required when tls.enabled');
  }
  if (config.mqtt.tls.requestCert && config.mqtt.tls.caFile === '') {
    problems.push('config.mqtt.tls.caFile: required when requestCert (client certificates are verified against it)');
  }
  if (config.bridge.enabled && !/^(mqtts?|wss?):\/\//.test(config.bridge.url)) {
    problems.push('config.bridge.url: required when bridge.enabled, as mqtt://, mqtts://, ws:// or wss://');
  }
  const { ocpp } = config;
  if (ocpp.enabled) {
    if (config.devices.registryFile === '') problems.push('config.devices.registryFile: required when ocpp.enabled (chargers authenticate against it)');
    const weakKey = weakSecretProblem('config.ocpp.idTagKey', ocpp.idTagKey, 16);
    if (weakKey !== undefined) problems.push(`${weakKey} (id tags are pseudonymised with it)`);
  }
  if (ocpp.tls.enabled && (ocpp.tls.keyFile === '' || ocpp.tls.certFile === '')) problems.push('config.ocpp.tls: keyFile and certFile are required when tls.enabled');
  const photoTls = config.photoApi.tls;
  if (photoTls.enabled && (photoTls.keyFile === '' || photoTls.certFile === '')) problems.push('config.photoApi.tls: keyFile and certFile are required when tls.enabled');
  problems.push(...cloudChecks(config.cloud));
  const { vision } = config;
  if (vision.enabled) {
    problems.push(...returnTokenChecks(vision));
    if (vision.returnAreasFile === '') problems.push('config.vision.returnAreasFile: required when vision.enabled (where returned cars may be parked)');
  }
  if (vision.retention.hashDays < vision.retention.photoDays) {
    problems.push('config.vision.retention.hashDays: must be at least photoDays (re-use of a stored photo must stay detectable)');
  }
  return problems;
}

/** Asymmetric keys by default; the shared HS256 secret only when explicitly kept for a migration. */
function returnTokenChecks(vision: EdgeConfig['vision']): string[] {
  const problems: string[] = [];
  if (!vision.legacyHs256) {
    if (vision.returnTokenKeysFile === '') {
      problems.push('config.vision.returnTokenKeysFile: required when vision.enabled: the booking system\'s public keys as a JWKS file (`fleetwire edge generate-return-keys` makes a key pair and the JWKS) (FLEETWIRE_EDGE_RETURN_TOKEN_KEYS_FILE)');
    }
    if (vision.returnTokenSecret !== '') {
      problems.push('config.vision.returnTokenSecret: HS256 return tokens are refused unless vision.legacyHs256 is true; remove the secret and give the edge the booking system\'s public keys (vision.returnTokenKeysFile), or turn legacyHs256 on while the booking system migrates');
    }
    return problems;
  }
  const weak = weakSecretProblem('config.vision.returnTokenSecret', vision.returnTokenSecret, 32, 'FLEETWIRE_EDGE_RETURN_TOKEN_SECRET');
  if (weak !== undefined) problems.push(`${weak} (vision.legacyHs256 is on; better: asymmetric keys, vision.returnTokenKeysFile)`);
  return problems;
}

function cloudChecks(cloud: EdgeConfig['cloud']): string[] {
  const problems: string[] = [];
  const clientCertificate = cloud.certFile !== '' && cloud.keyFile !== '';
  if ((cloud.certFile === '') !== (cloud.keyFile === '')) problems.push('config.cloud.certFile, keyFile: go together (a client certificate and its key)');
  if (cloud.url === '') return problems;
  if (!/^https?:\/\//.test(cloud.url)) problems.push(`config.cloud.url: must start with http:// or https:// (got "${cloud.url}")`);
  if (cloud.token === '' && !clientCertificate) {
    problems.push('config.cloud.token: required when cloud.url is set, unless cloud.certFile and cloud.keyFile give a client certificate (FLEETWIRE_EDGE_NODE_TOKEN)');
  }
  // A token read from an env file with CRLF endings carries a CR, which no HTTP header may hold.
  if (cloud.token !== '' && !/^[\x21-\x7E]+$/.test(cloud.token)) {
    problems.push('config.cloud.token: must be printable ASCII without spaces (a stray CR or newline from an env file?)');
  }
  const tlsFiles = [cloud.caFile, cloud.certFile, cloud.keyFile].some((file) => file !== '');
  if (tlsFiles && cloud.url.startsWith('http://')) problems.push('config.cloud.url: must be https:// when cloud.caFile, certFile or keyFile is set');
  return problems;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new EdgeError('FW_CONFIG_UNREADABLE', `cannot read config file ${file}`, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new EdgeError('FW_CONFIG_INVALID', `config file ${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

function envToInput(env: NodeJS.ProcessEnv, cwd: string): { values: Record<string, unknown>; problems: string[]; paths: Array<{ name: string; path: string[] }> } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const paths: Array<{ name: string; path: string[] }> = [];
  for (const [name, dotted] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const path = dotted.split('.');
    const schema = optionSchemaAt(EdgeConfigSchema, path);
    if (schema === undefined) throw new EdgeError('FW_CONFIG_INVALID', `no option ${dotted}`);
    let value: unknown = raw;
    if (schema[Kind] === 'Integer') {
      value = /^\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof value === 'string') problems.push(`${name}: must be an integer (got "${raw}")`);
    }
    if (schema[Kind] === 'Boolean') {
      value = raw === 'true' ? true : raw === 'false' ? false : raw;
      if (typeof value === 'string') problems.push(`${name}: must be true or false (got "${raw}")`);
    }
    // Paths from the environment are relative to the working directory, not the config file.
    if (isPathOption(schema)) value = resolve(cwd, raw);
    setPath(values, path, value);
    paths.push({ name, path });
  }
  // Setting a bridge URL from the environment means the bridge is wanted.
  if (env.FLEETWIRE_EDGE_BRIDGE_URL) setPath(values, ['bridge', 'enabled'], true);
  return { values, problems, paths };
}

function hasPath(target: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = target;
  for (const key of path) {
    if (!isObject(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}

function setPath(target: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let cursor = target;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(cursor[key])) cursor[key] = {};
    cursor = cursor[key] as Record<string, unknown>;
  }
  cursor[keys[keys.length - 1] as string] = value;
}

function merge(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? merge(current, value) : value;
  }
  return out;
}

function defaultNodeId(): string {
  const cleaned = hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 58);
  return `edge-${cleaned || 'node'}`;
}
