/**
 * The whole simulated fleet without any I/O: world → framing → faults, plus the schedule of
 * network drops. Advancing it by simulated time yields the exact messages each device
 * publishes, so everything up to the MQTT socket is deterministic from the seed and testable
 * without a broker.
 */
import type { DeviceCommand, EventEnvelope } from '@fleetwire/protocol';
import { HOUR_MS } from '@fleetwire/protocol';
import type { CityOptions } from '../city/city.js';
import type { FaultPeers, FaultState } from '../faults/apply-faults.js';
import { applyFaults, createFaultState, releaseHeld } from '../faults/apply-faults.js';
import type { FaultSettings } from '../faults/fault-settings.js';
import type { Random } from '../random/random.js';
import { randomFor } from '../random/random.js';
import type { VehicleGroundTruth } from '../vehicles/ground-truth.js';
import { vehicleGroundTruth } from '../vehicles/ground-truth.js';
import { obeyCommand } from '../vehicles/commands.js';
import type { DeviceKind } from './emission.js';
import type { FramingState } from './framing.js';
import { createFramingState, frameEmissions } from './framing.js';
import type { OutgoingMessage } from './outgoing.js';
import type { WorldSettings } from './settings.js';
import type { WorldState } from './world.js';
import { createWorld, stepWorld } from './world.js';

export interface FleetModelOptions {
  seed: number;
  startTime: number;
  vehicles: number;
  chargers: number;
  settings: WorldSettings;
  faults: FaultSettings;
  city?: Omit<CityOptions, 'seed'>;
}

export interface NetworkDrop {
  deviceId: string;
  /** Simulated ms the device stays offline. */
  durationMs: number;
}

export interface ModelStep {
  messages: OutgoingMessage[];
  backendEvents: EventEnvelope[];
  drops: NetworkDrop[];
}

export interface FleetModel {
  /** Advances simulated time; `stamp` maps simulated time to device clock time (default: identity). */
  advance(dtMs: number, stamp?: (simTime: number) => number): ModelStep;
  /** Releases messages held back for reordering, so a stopping run leaves none unsent. */
  flush(): OutgoingMessage[];
  readonly world: WorldState;
  readonly devices: ReadonlyArray<{ kind: DeviceKind; id: string }>;
  groundTruth(): VehicleGroundTruth[];
  /**
   * A command a vehicle received (vehicles/commands.ts decides): the vehicle's state follows it,
   * and the CommandAcknowledged to publish is returned. `now` is the wall time the deadline is
   * judged against.
   */
  command(vehicleId: string, command: DeviceCommand, now: number, stamp?: (simTime: number) => number): OutgoingMessage[];
}


export function createFleetModel(options: FleetModelOptions): FleetModel {
  let world = createWorld(options);
  const devices = [
    ...world.vehicles.map((v) => ({ kind: 'vehicle' as const, id: v.id })),
    ...world.chargers.map((c) => ({ kind: 'charger' as const, id: c.id })),
  ];
  const faults = options.faults;
  // Separate streams, so turning one fault on does not reshuffle the others or the fleet.
  const skewRng = randomFor(options.seed, 'fault:skew');
  const messageRng = randomFor(options.seed, 'fault:messages');
  const dropRng = randomFor(options.seed, 'fault:drops');
  const sparseRng = randomFor(options.seed, 'devices:sparse');
  const skewed = devices.map((d) => ({ ...d, clockSkewMs: clockSkew(skewRng, faults.skew ?? 0), sparse: sparseRng.chance(options.settings.sparseShare) }));
  // Boot epochs depend on the start time too: every run is a new boot of every device, so a
  // second run of the same seed (the demo's restart) must not reuse the message ids of the first.
  let framing: FramingState = createFramingState(skewed, randomFor(options.seed, `epochs:${options.startTime}`));
  let faultState: FaultState = createFaultState();
  const peers: FaultPeers = { vehicles: world.vehicles.map((v) => v.id), chargers: world.chargers.map((c) => c.id) };
  const dropRate = faults.drops ?? 0;
  const nextDrop = new Map(devices.map((d) => [d.id, dropRate > 0 ? world.time + dropRng.exponential(HOUR_MS / dropRate) : Infinity]));

  return {
    advance(dtMs, stamp = (t) => t) {
      const step = stepWorld(world, dtMs);
      world = step.world;
      const framed = frameEmissions(framing, step.emissions, stamp);
      framing = framed.state;
      const faulted = applyFaults(faultState, framed.messages, messageRng, faults, peers);
      faultState = faulted.state;
      const drops: NetworkDrop[] = [];
      for (const [deviceId, at] of nextDrop) {
        if (at > world.time) continue;
        drops.push({ deviceId, durationMs: dropRng.range(20_000, 120_000) });
        nextDrop.set(deviceId, world.time + dropRng.exponential(HOUR_MS / dropRate));
      }
      return { messages: faulted.messages, backendEvents: framed.backendEvents, drops };
    },
    flush() {
      const released = releaseHeld(faultState);
      faultState = released.state;
      return released.messages;
    },
    get world() {
      return world;
    },
    devices,
    groundTruth: () => world.vehicles.map((v) => vehicleGroundTruth(v, world.time)),
    command(vehicleId, command, now, stamp = (t) => t) {
      const vehicle = world.vehicles.find((v) => v.id === vehicleId);
      if (vehicle === undefined) return [];
      const answer = obeyCommand(vehicle, command, now);
      world = { ...world, vehicles: world.vehicles.map((v) => (v.id === vehicleId ? answer.vehicle : v)) };
      const position = { lat: Math.round(vehicle.position.lat * 1e6) / 1e6, lon: Math.round(vehicle.position.lon * 1e6) / 1e6 };
      const emission = {
        channel: 'events' as const,
        at: world.time,
        type: 'CommandAcknowledged' as const,
        subject: { kind: 'vehicle' as const, id: vehicleId },
        correlationId: command.commandId,
        data: { commandId: command.commandId, result: answer.result, ...(answer.reason === undefined ? {} : { reason: answer.reason }), position },
      };
      const framed = frameEmissions(framing, [{ device: { kind: 'vehicle', id: vehicleId }, emission }], stamp);
      framing = framed.state;
      return framed.messages;
    },
  };
}

/** A skewed clock is off by 10–120 minutes either way: far past any sane tolerance. */
function clockSkew(rng: Random, share: number): number {
  const skewed = rng.chance(share);
  const minutes = rng.range(10, 120) * (rng.chance(0.5) ? 1 : -1);
  return skewed ? Math.round(minutes * 60_000) : 0;
}
