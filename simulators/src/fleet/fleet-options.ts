/** Options of a simulated fleet on MQTT, validated, with their documented defaults. */
import type { EventEnvelope } from '@fleetwire/protocol';
import type { CityOptions } from '../city/city.js';
import { SimulatorError } from '../errors.js';
import type { FaultSettings } from '../faults/fault-settings.js';
import { parseFaults, validateFaults } from '../faults/fault-settings.js';
import type { WorldSettings } from '../world/settings.js';
import { resolveWorldSettings } from '../world/settings.js';
import type { DeviceCredential } from './credentials.js';

/** pino-compatible: pass a pino logger, or leave out for silence. */
export interface SimulationLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
}

export interface FleetSimulationOptions {
  /** Broker to publish to, e.g. mqtt://127.0.0.1:1883. Required. */
  mqttUrl: string;
  /** Default 10. */
  vehicles?: number;
  /** Default 2. */
  chargers?: number;
  /** Everything the model does follows from it. Default 1. */
  seed?: number;
  /** Simulated seconds per real second. Default 1. */
  speed?: number;
  /** Simulated start, ms since the Unix epoch. Default: now. */
  startTime?: number;
  /**
   * What devices stamp into `ts` / `occurredAt`: 'wall' (the wall-clock moment the reading's
   * simulated time was reached, so an accelerated run still looks current to the edge's skew
   * check; one simulated second is 1000/speed wall ms, so keep speed ≤ 1000 for distinct
   * stamps) or 'simulated'. Default 'wall'.
   */
  timestamps?: 'wall' | 'simulated';
  /** Deliberate faults, as settings or as the CLI's text (`drops,dupes=0.05`). Default none. */
  faults?: FaultSettings | string;
  /** Device passwords derive from it (see credentials.ts). Default 'fleetwire-dev-secret'. */
  fleetSecret?: string;
  /** Explicit credentials by device id, overriding the derived ones. */
  credentials?: readonly DeviceCredential[];
  city?: Omit<CityOptions, 'seed'>;
  settings?: Partial<WorldSettings>;
  /** Real ms between simulation steps. Default 100. */
  tickMs?: number;
  /** New MQTT connections per second while starting, so 1 000 devices do not stampede. Default 200. */
  connectsPerSecond?: number;
  /** start() fails if not every device connected within this many ms. Default 60 000. */
  connectTimeoutMs?: number;
  /** Unacknowledged PUBLISHes per device. Default 20. */
  maxInFlight?: number;
  /** Events from the booking backend (VehicleBooked), which devices do not publish. */
  onBackendEvent?: (event: EventEnvelope) => void;
  /** Valid events the devices publish (TripEnded, …), as they are handed to MQTT. */
  onDeviceEvent?: (event: EventEnvelope) => void;
  /** Valid telemetry the devices publish (full or sparse), as it is handed to MQTT. */
  onDeviceTelemetry?: (telemetry: { id: string; device: { kind: 'vehicle' | 'charger'; id: string }; payload: Record<string, unknown> }) => void;
  logger?: SimulationLogger;
}

export type ResolvedFleetOptions = Required<Omit<FleetSimulationOptions, 'credentials' | 'city' | 'onBackendEvent' | 'onDeviceEvent' | 'onDeviceTelemetry' | 'logger' | 'settings' | 'faults'>> &
  Pick<FleetSimulationOptions, 'credentials' | 'city' | 'onBackendEvent' | 'onDeviceEvent' | 'onDeviceTelemetry'> & {
    settings: WorldSettings;
    faults: FaultSettings;
    logger: SimulationLogger;
  };

const SILENT: SimulationLogger = { info: () => undefined, warn: () => undefined };

export function resolveFleetOptions(options: FleetSimulationOptions): ResolvedFleetOptions {
  const invalid = (message: string): never => {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', message);
  };
  if (typeof options.mqttUrl !== 'string' || !/^(mqtts?|wss?|tcp|tls):\/\//.test(options.mqttUrl)) invalid(`mqttUrl must be an mqtt:// url, got ${String(options.mqttUrl)}`);
  const resolved: ResolvedFleetOptions = {
    mqttUrl: options.mqttUrl,
    vehicles: options.vehicles ?? 10,
    chargers: options.chargers ?? 2,
    seed: options.seed ?? 1,
    speed: options.speed ?? 1,
    startTime: options.startTime ?? Date.now(),
    timestamps: options.timestamps ?? 'wall',
    faults: validateFaults(typeof options.faults === 'string' ? parseFaults(options.faults) : (options.faults ?? {})),
    fleetSecret: options.fleetSecret ?? 'fleetwire-dev-secret',
    credentials: options.credentials,
    city: options.city,
    settings: resolveWorldSettings(options.settings),
    tickMs: options.tickMs ?? 100,
    connectsPerSecond: options.connectsPerSecond ?? 200,
    connectTimeoutMs: options.connectTimeoutMs ?? 60_000,
    maxInFlight: options.maxInFlight ?? 20,
    onBackendEvent: options.onBackendEvent,
    onDeviceEvent: options.onDeviceEvent,
    onDeviceTelemetry: options.onDeviceTelemetry,
    logger: options.logger ?? SILENT,
  };
  const count = (name: string, value: number, max: number): void => {
    if (!Number.isInteger(value) || value < 0 || value > max) invalid(`${name} must be an integer in 0–${max}, got ${value}`);
  };
  count('vehicles', resolved.vehicles, 9_999);
  count('chargers', resolved.chargers, 9_999);
  if (!Number.isInteger(resolved.seed)) invalid(`seed must be an integer, got ${resolved.seed}`);
  if (!(resolved.speed > 0 && resolved.speed <= 10_000)) invalid(`speed must be in (0, 10000], got ${resolved.speed}`);
  if (resolved.timestamps !== 'wall' && resolved.timestamps !== 'simulated') invalid(`timestamps must be wall or simulated`);
  if (!(resolved.tickMs >= 10)) invalid(`tickMs must be ≥ 10, got ${resolved.tickMs}`);
  if (!(resolved.connectsPerSecond > 0)) invalid(`connectsPerSecond must be > 0`);
  if (!(resolved.maxInFlight >= 1)) invalid(`maxInFlight must be ≥ 1`);
  if (resolved.fleetSecret.length === 0) invalid('fleetSecret must not be empty');
  return resolved;
}
