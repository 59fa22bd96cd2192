/** Options of a load run, validated, with their documented defaults. */
import { SimulatorError } from '../errors.js';

export interface LoadOptions {
  /** Broker, e.g. mqtt://127.0.0.1:1883 (the edge or Mosquitto). Required. */
  url: string;
  /** Concurrent MQTT clients, one connection each. Default 10. */
  clients?: number;
  /** Total publishes per second across clients; null = as fast as the in-flight windows allow. Default 1 000. */
  rate?: number | null;
  /** Default 1. */
  qos?: 0 | 1 | 2;
  /** Payload size in bytes (valid telemetry padded with whitespace; ~400 minimum). Default 512. */
  payloadBytes?: number;
  /** Run this long, ms. Default 10 000 unless `count` is given. */
  durationMs?: number;
  /** Stop after this many publishes instead of after a duration. */
  count?: number;
  /** Client ids are `{idPrefix}-0001`…, also the MQTT usernames unless `username` is given. Default 'LG'. */
  idPrefix?: string;
  /** One username for every client (e.g. for a broker with a single test account). */
  username?: string;
  password?: string;
  /** Derive each client's password from this fleet secret, as the simulator's devices do. */
  fleetSecret?: string;
  /** Unacknowledged publishes per client. Default 100. */
  maxInFlight?: number;
  /** Default 200. */
  connectsPerSecond?: number;
  /** After sending, wait this long for outstanding acknowledgements, ms. Default 10 000. */
  drainMs?: number;
  /** Live progress line (~1/s): a stream such as process.stderr, or false. Default false. */
  progress?: NodeJS.WritableStream | false;
}

export type ResolvedLoadOptions = Required<Omit<LoadOptions, 'count' | 'durationMs' | 'username' | 'password' | 'fleetSecret'>> &
  Pick<LoadOptions, 'count' | 'durationMs' | 'username' | 'password' | 'fleetSecret'>;

export function resolveLoadOptions(options: LoadOptions): ResolvedLoadOptions {
  const invalid = (message: string): never => {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', message);
  };
  const o: ResolvedLoadOptions = {
    url: options.url,
    clients: options.clients ?? 10,
    rate: options.rate === undefined ? 1_000 : options.rate,
    qos: options.qos ?? 1,
    payloadBytes: options.payloadBytes ?? 512,
    count: options.count,
    durationMs: options.count === undefined ? (options.durationMs ?? 10_000) : options.durationMs,
    idPrefix: options.idPrefix ?? 'LG',
    username: options.username,
    password: options.password,
    fleetSecret: options.fleetSecret,
    maxInFlight: options.maxInFlight ?? 100,
    connectsPerSecond: options.connectsPerSecond ?? 200,
    drainMs: options.drainMs ?? 10_000,
    progress: options.progress ?? false,
  };
  if (typeof o.url !== 'string' || !/^(mqtts?|wss?|tcp|tls):\/\//.test(o.url)) invalid(`url must be an mqtt:// url, got ${String(o.url)}`);
  if (!Number.isInteger(o.clients) || o.clients < 1 || o.clients > 9_999) invalid(`clients must be an integer in 1–9999, got ${o.clients}`);
  if (o.rate !== null && !(o.rate > 0)) invalid(`rate must be > 0 (or null for unpaced), got ${o.rate}`);
  if (o.qos !== 0 && o.qos !== 1 && o.qos !== 2) invalid(`qos must be 0, 1 or 2, got ${String(o.qos)}`);
  if (!Number.isInteger(o.payloadBytes) || o.payloadBytes < 1 || o.payloadBytes > 16 * 1024 * 1024) invalid(`payloadBytes must be an integer in 1–16 MiB`);
  if (o.count !== undefined && !(Number.isInteger(o.count) && o.count > 0)) invalid(`count must be a positive integer, got ${o.count}`);
  if (o.durationMs !== undefined && !(o.durationMs > 0)) invalid(`durationMs must be > 0, got ${o.durationMs}`);
  if (!/^[A-Za-z0-9_-]{1,58}$/.test(o.idPrefix)) invalid(`idPrefix must be 1–58 characters of [A-Za-z0-9_-]`);
  if (!(Number.isInteger(o.maxInFlight) && o.maxInFlight >= 1)) invalid(`maxInFlight must be an integer ≥ 1`);
  if (!(o.connectsPerSecond > 0)) invalid(`connectsPerSecond must be > 0`);
  if (!(o.drainMs >= 0)) invalid(`drainMs must be ≥ 0`);
  return o;
}

/** The client (device) ids a load run uses, e.g. to build the edge's device registry beforehand. */
export function loadClientIds(options: Pick<LoadOptions, 'clients' | 'idPrefix'>): string[] {
  const prefix = options.idPrefix ?? 'LG';
  return Array.from({ length: options.clients ?? 10 }, (_, i) => `${prefix}-${String(i + 1).padStart(4, '0')}`);
}
