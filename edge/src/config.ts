/**
 * The edge agent's one options object: defaults, a JSON config file, `FLEETWIRE_EDGE_*`
 * environment overrides, validation with every problem listed at once. docs/edge.md documents
 * each option; the schema below is the single source of the defaults.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { EdgeError } from './errors.js';
import { MODEL_VARIANTS, type ModelVariant } from './vision/models/model-card.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface EdgeConfig {
  nodeId: string;
  dataDir: string;
  logLevel: LogLevel;
  /** Paths of PEM files (resolved); the uplink reads them at start (`readUplinkTls`). */
  cloud: { url: string; token: string; caFile: string; certFile: string; keyFile: string };
  /** Passed to createUplink as tuning; the uplink validates its own keys. */
  uplink: Record<string, unknown>;
  /** Passed to createSqliteBuffer (its `path` is `{dataDir}/buffer.sqlite`); validated there. */
  buffer: Record<string, unknown>;
  devices: { registryFile: string };
  mqtt: {
    enabled: boolean;
    host: string;
    port: number;
    maxPacketBytes: number;
    tls: { enabled: boolean; port: number; keyFile: string; certFile: string; caFile: string; requestCert: boolean };
    websocket: { enabled: boolean; port: number; path: string };
  };
  bridge: { enabled: boolean; url: string; clientId: string; username: string; password: string; caFile: string; topics: string[] };
  intake: { maxPayloadBytes: number; maxClockSkewMs: number };
  rules: {
    batteryLow: { enabled: boolean; thresholdPct: number; hysteresisPct: number };
    chargerFaulted: { enabled: boolean };
  };
  http: { host: string; port: number };
  vision: VisionConfig;
}

/** Return-photo verification (docs/edge.md, "Return photos"). */
export interface VisionConfig {
  enabled: boolean;
  /** Shared with the booking system, which signs return tokens (HS256) with it. */
  returnTokenSecret: string;
  returnAreasFile: string;
  /** '' = the bundled card / the model its card names for the variant (vision/models/model-selection.ts). */
  models: { damage: string; screen: string; card: string; threads: number; variant: ModelVariant; force: boolean };
  limits: { maxPhotos: number; maxPhotoBytes: number; maxPixels: number; maxActiveReturns: number; maxWaitingReturns: number; quarantineMaxBytes: number };
  checks: { maxPositionAgeMs: number; maxGpsDistanceM: number; maxExifAgeMs: number; maxFutureSkewMs: number; reuseMaxDistance: number };
  retention: { photoDays: number; photoMaxBytes: number; hashDays: number; intervalMs: number };
}

type Leaf =
  | { type: 'string'; default: string; pattern?: RegExp; oneOf?: readonly string[]; path?: true }
  | { type: 'integer'; default: number; min: number; max: number }
  | { type: 'boolean'; default: boolean }
  | { type: 'strings'; default: string[] }
  | { type: 'passthrough' };
interface Group { type: 'group'; fields: Record<string, Node> }
type Node = Leaf | Group;

const str = (value = '', extra: Partial<Extract<Leaf, { type: 'string' }>> = {}): Leaf => ({ type: 'string', default: value, ...extra });
const int = (value: number, min: number, max: number): Leaf => ({ type: 'integer', default: value, min, max });
const bool = (value: boolean): Leaf => ({ type: 'boolean', default: value });
const group = (fields: Record<string, Node>): Group => ({ type: 'group', fields });
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const PORT_MAX = 65_535;
const MIB = 1024 * 1024;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const SCHEMA = group({
  nodeId: str(defaultNodeId(), { pattern: ID }),
  dataDir: str('.fleetwire/edge', { path: true }),
  logLevel: str('info', { oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
  cloud: group({ url: str(), token: str(), caFile: str('', { path: true }), certFile: str('', { path: true }), keyFile: str('', { path: true }) }),
  uplink: { type: 'passthrough' },
  buffer: { type: 'passthrough' },
  devices: group({ registryFile: str('', { path: true }) }),
  mqtt: group({
    enabled: bool(true),
    host: str('0.0.0.0'),
    port: int(1883, 0, PORT_MAX),
    maxPacketBytes: int(262_144, 1_024, 16 * 1024 * 1024),
    tls: group({
      enabled: bool(false),
      port: int(8883, 0, PORT_MAX),
      keyFile: str('', { path: true }),
      certFile: str('', { path: true }),
      caFile: str('', { path: true }),
      requestCert: bool(false),
    }),
    websocket: group({ enabled: bool(false), port: int(8083, 0, PORT_MAX), path: str('/mqtt') }),
  }),
  bridge: group({
    enabled: bool(false),
    url: str(),
    clientId: str(''),
    username: str(),
    password: str(),
    caFile: str('', { path: true }),
    topics: { type: 'strings', default: ['fleetwire/v1/+/+/telemetry', 'fleetwire/v1/+/+/events'] },
  }),
  intake: group({ maxPayloadBytes: int(65_536, 256, 16 * 1024 * 1024), maxClockSkewMs: int(300_000, 0, 86_400_000) }),
  rules: group({
    batteryLow: group({ enabled: bool(true), thresholdPct: int(20, 1, 99), hysteresisPct: int(5, 1, 50) }),
    chargerFaulted: group({ enabled: bool(true) }),
  }),
  http: group({ host: str('0.0.0.0'), port: int(8080, 0, PORT_MAX) }),
  vision: group({
    enabled: bool(false),
    returnTokenSecret: str(),
    returnAreasFile: str('', { path: true }),
    models: group({
      damage: str('', { path: true }), screen: str('', { path: true }), card: str('', { path: true }), threads: int(1, 0, 16),
      variant: str('float32', { oneOf: MODEL_VARIANTS }), force: bool(false),
    }),
    limits: group({
      maxPhotos: int(8, 1, 32),
      maxPhotoBytes: int(8 * MIB, 1_024, 64 * MIB),
      maxPixels: int(40_000_000, 10_000, 268_402_689),
      maxActiveReturns: int(2, 1, 16),
      maxWaitingReturns: int(8, 0, 256),
      quarantineMaxBytes: int(MIB, 0, 16 * MIB),
    }),
    checks: group({
      maxPositionAgeMs: int(30 * MINUTE_MS, 1_000, 7 * DAY_MS),
      maxGpsDistanceM: int(150, 1, 100_000),
      maxExifAgeMs: int(30 * MINUTE_MS, 60_000, 7 * DAY_MS),
      maxFutureSkewMs: int(5 * MINUTE_MS, 0, DAY_MS),
      reuseMaxDistance: int(24, 0, 128),
    }),
    retention: group({ photoDays: int(30, 1, 3650), photoMaxBytes: int(2 * 1024 * MIB, MIB, 1024 ** 4), hashDays: int(365, 1, 3650), intervalMs: int(3_600_000, 1_000, DAY_MS) }),
  }),
});

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
  FLEETWIRE_EDGE_BRIDGE_URL: 'bridge.url',
  FLEETWIRE_EDGE_BRIDGE_PASSWORD: 'bridge.password',
  FLEETWIRE_EDGE_VISION_ENABLED: 'vision.enabled',
  FLEETWIRE_EDGE_RETURN_TOKEN_SECRET: 'vision.returnTokenSecret',
  FLEETWIRE_EDGE_RETURN_AREAS_FILE: 'vision.returnAreasFile',
  FLEETWIRE_EDGE_VISION_MODEL_VARIANT: 'vision.models.variant',
};

/** Option paths that hold secrets: redacted when printed or logged. */
export const SECRET_PATHS = ['cloud.token', 'bridge.password', 'vision.returnTokenSecret'] as const;

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
  const envInput = envToInput(options.env ?? {}, cwd);
  const problems: string[] = [];
  const merged = merge(merge(isObject(fromFile) ? fromFile : {}, envInput.values), options.overrides ?? {});
  problems.push(...envInput.problems);
  if (!isObject(fromFile)) problems.push('config: the file must hold a JSON object');
  const config = readNode(SCHEMA, merged, 'config', problems, { baseDir, cwd }) as EdgeConfig;
  problems.push(...crossChecks(config));
  if (problems.length > 0) {
    throw new EdgeError('FW_CONFIG_INVALID', `invalid edge configuration:\n  - ${problems.join('\n  - ')}`);
  }
  if (config.bridge.clientId === '') config.bridge.clientId = `fleetwire-edge-${config.nodeId}`;
  return config;
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
  if (!config.mqtt.enabled && !config.bridge.enabled) problems.push('config: enable mqtt (embedded broker), bridge, or both');
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
  problems.push(...cloudChecks(config.cloud));
  const { vision } = config;
  if (vision.enabled) {
    if (vision.returnTokenSecret.length < 32) {
      problems.push('config.vision.returnTokenSecret: at least 32 characters required when vision.enabled (FLEETWIRE_EDGE_RETURN_TOKEN_SECRET)');
    }
    if (vision.returnAreasFile === '') problems.push('config.vision.returnAreasFile: required when vision.enabled (where returned cars may be parked)');
  }
  if (vision.retention.hashDays < vision.retention.photoDays) {
    problems.push('config.vision.retention.hashDays: must be at least photoDays (re-use of a stored photo must stay detectable)');
  }
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

function envToInput(env: NodeJS.ProcessEnv, cwd: string): { values: Record<string, unknown>; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const leaf = leafAt(path);
    let value: unknown = raw;
    if (leaf.type === 'integer') {
      value = /^\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof value === 'string') problems.push(`${name}: must be an integer (got "${raw}")`);
    }
    if (leaf.type === 'boolean') {
      value = raw === 'true' ? true : raw === 'false' ? false : raw;
      if (typeof value === 'string') problems.push(`${name}: must be true or false (got "${raw}")`);
    }
    // Paths from the environment are relative to the working directory, not the config file.
    if (leaf.type === 'string' && leaf.path) value = resolve(cwd, raw);
    setPath(values, path, value);
  }
  // Setting a bridge URL from the environment means the bridge is wanted.
  if (env.FLEETWIRE_EDGE_BRIDGE_URL) setPath(values, 'bridge.enabled', true);
  return { values, problems };
}

function readNode(node: Node, input: unknown, path: string, problems: string[], dirs: { baseDir: string; cwd: string }): unknown {
  if (node.type === 'group') {
    const source = input === undefined ? {} : input;
    if (!isObject(source)) {
      problems.push(`${path}: must be an object`);
      return readNode(node, {}, path, [], dirs);
    }
    for (const key of Object.keys(source)) {
      if (!(key in node.fields)) problems.push(`${path}.${key}: unknown option`);
    }
    return Object.fromEntries(Object.entries(node.fields).map(([key, child]) => [key, readNode(child, source[key], `${path}.${key}`, problems, dirs)]));
  }
  if (node.type === 'passthrough') {
    if (input === undefined) return {};
    if (!isObject(input)) problems.push(`${path}: must be an object`);
    return isObject(input) ? input : {};
  }
  if (input === undefined) {
    // Default paths are relative to the working directory, like paths given in the environment.
    if (node.type === 'string' && node.path && node.default !== '') return resolve(dirs.cwd, node.default);
    return structuredClone(node.default);
  }
  return readLeaf(node, input, path, problems, dirs);
}

function readLeaf(leaf: Exclude<Leaf, { type: 'passthrough' }>, input: unknown, path: string, problems: string[], dirs: { baseDir: string; cwd: string }): unknown {
  const got = JSON.stringify(input);
  switch (leaf.type) {
    case 'string':
      if (typeof input !== 'string') break;
      if (leaf.pattern && !leaf.pattern.test(input)) return fail(`must match ${leaf.pattern} (got ${got})`);
      if (leaf.oneOf && !leaf.oneOf.includes(input)) return fail(`must be one of ${leaf.oneOf.join(', ')} (got ${got})`);
      return leaf.path && input !== '' ? resolve(dirs.baseDir, input) : input;
    case 'integer':
      if (!Number.isInteger(input)) break;
      if ((input as number) < leaf.min || (input as number) > leaf.max) return fail(`must be between ${leaf.min} and ${leaf.max} (got ${got})`);
      return input;
    case 'boolean':
      if (typeof input === 'boolean') return input;
      break;
    case 'strings':
      if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string' && item !== '')) return input;
      return fail(`must be a non-empty list of strings (got ${got})`);
  }
  return fail(`must be ${leaf.type === 'integer' ? 'an integer' : `a ${leaf.type}`} (got ${got})`);

  function fail(message: string): unknown {
    problems.push(`${path}: ${message}`);
    return leaf.default;
  }
}

function leafAt(path: string): Node {
  let node: Node = SCHEMA;
  for (const key of path.split('.')) {
    if (node.type !== 'group' || !node.fields[key]) throw new EdgeError('FW_CONFIG_INVALID', `no option ${path}`);
    node = node.fields[key];
  }
  return node;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function defaultNodeId(): string {
  const cleaned = hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 58);
  return `edge-${cleaned || 'node'}`;
}
