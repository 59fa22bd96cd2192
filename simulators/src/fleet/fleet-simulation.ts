/**
 * A simulated fleet on a real broker: every vehicle and charger is its own MQTT client with its
 * own credentials, publishing what the fleet model emits, QoS 1, on its own topics. A timer
 * steps the model at the chosen speed; the publish ledger records every id and its PUBACK.
 */
import { commandsFilter, validateDeviceCommand, type EventEnvelope } from '@fleetwire/protocol';
import { createRealTimeClock } from '../clock/clock.js';
import { SimulatorError } from '../errors.js';
import type { PublishLedger } from '../ledger/ledger.js';
import { createPublishLedger } from '../ledger/ledger.js';
import type { VehicleGroundTruth } from '../vehicles/ground-truth.js';
import type { FleetModel } from '../world/fleet-model.js';
import { createFleetModel } from '../world/fleet-model.js';
import type { OutgoingMessage } from '../world/outgoing.js';
import type { DeviceCredential } from './credentials.js';
import { deviceCredentials } from './credentials.js';
import type { DeviceLink } from './device-link.js';
import { createDeviceLink } from './device-link.js';
import type { FleetSimulationOptions } from './fleet-options.js';
import { resolveFleetOptions } from './fleet-options.js';

export interface FleetStats {
  simTime: number;
  devices: number;
  connected: number;
  /** Message copies queued or awaiting PUBACK across all devices. */
  backlog: number;
  published: number;
  acked: number;
  backendEvents: number;
  /** Deliberate network drops so far. */
  drops: number;
  connectionTrouble: number;
}

export interface FleetSimulation {
  /** Connects every device (staggered), then starts the clock; if they cannot all connect in time, disconnects them and rejects. */
  start(): Promise<void>;
  /** Stops the clock, sends what is queued (waiting up to `drainMs`, default 10 000), disconnects. */
  stop(options?: { drainMs?: number }): Promise<void>;
  readonly ledger: PublishLedger;
  /** username = device id, password derived from the fleet secret (or as given). */
  credentials(): DeviceCredential[];
  groundTruth(): VehicleGroundTruth[];
  stats(): FleetStats;
  readonly model: FleetModel;
}

/** The model advances in whole simulated seconds. */
const STEP_MS = 1_000;

export function createFleetSimulation(options: FleetSimulationOptions): FleetSimulation {
  const o = resolveFleetOptions(options);
  const model = createFleetModel({ seed: o.seed, startTime: o.startTime, vehicles: o.vehicles, chargers: o.chargers, settings: o.settings, faults: o.faults, city: o.city });
  const ledger = createPublishLedger();
  const given = new Map((o.credentials ?? []).map((c) => [c.id, c]));
  const credentials = deviceCredentials(o.fleetSecret, model.devices).map((c) => given.get(c.id) ?? c);
  let trouble = 0;
  let backendEvents = 0;
  let drops = 0;
  const links = new Map<string, DeviceLink>(
    credentials.map((c) => [
      c.id,
      createDeviceLink({
        url: o.mqttUrl,
        clientId: c.id,
        username: c.username,
        password: c.password,
        ledger,
        maxInFlight: o.maxInFlight,
        ...(c.kind === 'vehicle' ? { commands: { filter: commandsFilter('vehicle', c.id), received: (_topic: string, payload: Buffer) => obey(c.id, payload) } } : {}),
        onTrouble: (event, detail) => {
          trouble += 1;
          o.logger.warn({ event: `device_${event}`, deviceId: c.id, detail }, `device_${event}`);
        },
      }),
    ]),
  );
  let timer: NodeJS.Timeout | undefined;
  let state: 'new' | 'running' | 'stopped' = 'new';
  /** Simulated time → device clock, set when the clock starts. */
  let stampOf: (simTime: number) => number = (t) => t;

  /** A vehicle obeys a command (vehicles/commands.ts) and publishes its acknowledgement. */
  function obey(vehicleId: string, payload: Buffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const command = validateDeviceCommand(parsed);
    if (!command.ok) {
      o.logger.warn({ event: 'vehicle_command_unreadable', vehicleId, reason: command.reason }, 'vehicle_command_unreadable');
      return;
    }
    publish(model.command(vehicleId, command.value, Date.now(), stampOf));
  }

  const publish = (messages: readonly OutgoingMessage[]): void => {
    const now = Date.now();
    for (const message of messages) {
      ledger.record(message, now);
      (links.get(message.device.id) as DeviceLink).send(message);
      if (message.expect.outcome !== 'accepted') continue;
      if (message.channel === 'events') o.onDeviceEvent?.(message.payload as unknown as EventEnvelope);
      else o.onDeviceTelemetry?.({ id: message.id, device: message.device, payload: message.payload });
    }
  };

  const startClock = (): void => {
    const clock = createRealTimeClock({ speed: o.speed, startTime: model.world.time });
    // Wall stamps map each reading's simulated time onto the wall clock, so that the readings
    // of one multi-second step keep distinct, increasing device times (a series' point identity).
    const stamp = o.timestamps === 'wall' ? (t: number) => clock.wallTimeOf(t) : (t: number) => t;
    stampOf = stamp;
    // A stalled event loop must not turn into one giant step: fall behind instead, and say so once.
    const maxStepMs = STEP_MS * Math.max(1, Math.ceil((o.tickMs * o.speed * 10) / STEP_MS));
    let warnedBehind = false;
    timer = setInterval(() => {
      // Whole steps only, so the model sees the same sequence of times whatever the timer jitter:
      // the messages of a live run are the seed's, like those of a test.
      const due = Math.floor((clock.now() - model.world.time) / STEP_MS) * STEP_MS;
      if (due === 0) return;
      if (due > maxStepMs && !warnedBehind) {
        warnedBehind = true;
        o.logger.warn({ event: 'simulation_behind', behindMs: due }, 'simulation_behind');
      }
      const step = model.advance(Math.min(due, maxStepMs), stamp);
      publish(step.messages);
      for (const event of step.backendEvents) {
        backendEvents += 1;
        o.onBackendEvent?.(event);
      }
      for (const drop of step.drops) {
        drops += 1;
        links.get(drop.deviceId)?.dropFor(drop.durationMs / o.speed);
      }
    }, o.tickMs);
  };

  const simulation: FleetSimulation = {
    async start() {
      if (state !== 'new') throw new SimulatorError('FW_SIM_STOPPED', 'a fleet simulation starts once');
      state = 'running';
      const all = [...links.values()];
      const gap = 1_000 / o.connectsPerSecond;
      for (const [i, link] of all.entries()) setTimeout(() => state === 'running' && link.connect(), i * gap);
      const deadline = Date.now() + o.connectTimeoutMs + all.length * gap;
      while (all.some((l) => !l.everConnected)) {
        if (state !== 'running') throw new SimulatorError('FW_SIM_STOPPED', 'stopped while connecting');
        if (Date.now() > deadline) {
          const missing = credentials.filter((c) => !(links.get(c.id) as DeviceLink).everConnected).map((c) => c.id);
          await simulation.stop({ drainMs: 0 });
          throw new SimulatorError('FW_SIM_CONNECT_FAILED', `${missing.length} device(s) could not connect to ${o.mqttUrl}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`, { canRetry: true });
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      o.logger.info({ event: 'fleet_connected', vehicles: o.vehicles, chargers: o.chargers, url: o.mqttUrl }, 'fleet_connected');
      startClock();
    },
    async stop(stopOptions = {}) {
      if (state === 'stopped') return;
      state = 'stopped';
      clearInterval(timer);
      publish(model.flush());
      await Promise.all([...links.values()].map((link) => link.close(stopOptions.drainMs ?? 10_000)));
      o.logger.info({ event: 'fleet_stopped', ...ledger.summary() }, 'fleet_stopped');
    },
    ledger,
    credentials: () => credentials.map((c) => ({ ...c })),
    groundTruth: () => model.groundTruth(),
    stats() {
      const summary = ledger.summary();
      let connected = 0;
      let backlog = 0;
      for (const link of links.values()) {
        if (link.connected) connected += 1;
        backlog += link.backlog;
      }
      return { simTime: model.world.time, devices: links.size, connected, backlog, published: summary.total, acked: summary.acked, backendEvents, drops, connectionTrouble: trouble };
    },
    model,
  };
  return simulation;
}
