/**
 * Message-level faults as a pure transform over a step's outgoing messages: duplicates,
 * reordering, malformed bytes, impossible values, impersonation. Each faulted message is
 * marked with what the edge should make of it (accepted, or quarantined with which reason),
 * so tests can check the outcome. Device-level faults live elsewhere: clock skew in the
 * framing, network drops in the device link.
 */
import { formatTopic } from '@fleetwire/protocol';
import type { Random } from '../random/random.js';
import { encode } from '../world/framing.js';
import type { FaultKind, OutgoingMessage } from '../world/outgoing.js';
import type { FaultSettings } from './fault-settings.js';

export interface FaultState {
  /** A message held back per device, released after that device's next message. */
  heldBack: Record<string, OutgoingMessage>;
  /** The first odometer each vehicle sent: a value below it runs backwards for any receiver. */
  firstOdometerKm: Record<string, number>;
}

export interface FaultPeers {
  /** Devices of each kind, to pick an impersonation victim from. */
  vehicles: readonly string[];
  chargers: readonly string[];
}

type MessageFault = Extract<FaultKind, 'dupes' | 'reorder' | 'malformed' | 'impossible' | 'impersonate'>;
const MESSAGE_FAULTS: readonly MessageFault[] = ['dupes', 'reorder', 'malformed', 'impossible', 'impersonate'];

export function createFaultState(): FaultState {
  return { heldBack: {}, firstOdometerKm: {} };
}

export function applyFaults(state: FaultState, messages: readonly OutgoingMessage[], rng: Random, settings: FaultSettings, peers: FaultPeers): { state: FaultState; messages: OutgoingMessage[] } {
  const heldBack = { ...state.heldBack };
  const firstOdometerKm = { ...state.firstOdometerKm };
  const out: OutgoingMessage[] = [];
  for (const message of messages) {
    const deviceId = message.device.id;
    const held = heldBack[deviceId];
    delete heldBack[deviceId];
    const swap = held !== undefined && canSwap(held, message);
    if (held && !swap) out.push(held);
    const fault = drawFault(rng, settings);
    const sent = fault && fault !== 'reorder' ? inject(fault, message, rng, peers, firstOdometerKm) : message;
    if (fault === 'reorder' && !held) heldBack[deviceId] = message;
    else out.push(sent);
    if (held && swap) out.push(mark(held, 'reorder'));
    const odometer = sent.payload['odometerKm'];
    if (sent.recordKind === 'vehicle_telemetry' && sent.expect.outcome === 'accepted' && typeof odometer === 'number' && !(deviceId in firstOdometerKm)) {
      firstOdometerKm[deviceId] = odometer;
    }
  }
  return { state: { heldBack, firstOdometerKm }, messages: out };
}

/** Releases every held-back message (at shutdown), so none is left unsent. */
export function releaseHeld(state: FaultState): { state: FaultState; messages: OutgoingMessage[] } {
  return { state: { ...state, heldBack: {} }, messages: Object.values(state.heldBack) };
}

function drawFault(rng: Random, settings: FaultSettings): MessageFault | undefined {
  const u = rng.next();
  let cumulative = 0;
  for (const kind of MESSAGE_FAULTS) {
    cumulative += settings[kind] ?? 0;
    if (u < cumulative) return kind;
  }
  return undefined;
}

/**
 * Swapping is harmless only when it cannot fake a different fault: two events, vehicle readings
 * in device-time order (the edge judges the odometer in device time, so the late one passes),
 * or charger readings whose energy register did not move (an idle connector).
 */
function canSwap(a: OutgoingMessage, b: OutgoingMessage): boolean {
  if (a.channel === 'events' && b.channel === 'events') return true;
  if (a.recordKind !== b.recordKind || a.channel !== 'telemetry') return false;
  if (a.recordKind === 'vehicle_telemetry') return a.deviceTime < b.deviceTime || a.payload['odometerKm'] === b.payload['odometerKm'];
  return a.payload['connectorId'] !== b.payload['connectorId'] || a.payload['energyWh'] === b.payload['energyWh'];
}

function mark(message: OutgoingMessage, fault: FaultKind, changes: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return { ...message, ...changes, faults: [...message.faults, fault] };
}

function inject(fault: MessageFault, message: OutgoingMessage, rng: Random, peers: FaultPeers, firstOdometerKm: Record<string, number>): OutgoingMessage {
  switch (fault) {
    case 'dupes':
      return mark(message, 'dupes', { copies: 2 });
    case 'malformed':
      return mark(message, 'malformed', { bytes: corrupt(message.bytes, rng), expect: { outcome: 'quarantined', reason: 'malformed_json' } });
    case 'impossible':
      return impossible(message, rng, firstOdometerKm) ?? message;
    case 'impersonate':
      return impersonate(message, rng, peers) ?? message;
    case 'reorder':
      return message;
  }
}

function corrupt(bytes: Buffer, rng: Random): Buffer {
  switch (rng.int(0, 2)) {
    case 0:
      return bytes.subarray(0, rng.int(1, Math.max(1, bytes.length - 2)));
    case 1:
      return Buffer.concat([bytes, Buffer.from('}{"', 'utf8')]);
    default:
      // Not even UTF-8: what a flipped bit on a serial line looks like.
      return Buffer.from([0xff, 0xfe, ...bytes.subarray(2, 40)]);
  }
}

function impossible(message: OutgoingMessage, rng: Random, firstOdometerKm: Record<string, number>): OutgoingMessage | undefined {
  if (message.channel !== 'telemetry') return undefined;
  const rewrite = (changes: Record<string, unknown>, reason: 'impossible_value' | 'odometer_backwards'): OutgoingMessage => {
    const payload = { ...message.payload, ...changes };
    return mark(message, 'impossible', { payload, bytes: encode(payload), expect: { outcome: 'quarantined', reason } });
  };
  if (message.recordKind === 'charger_telemetry') return rewrite({ powerKw: 900 }, 'impossible_value');
  const first = firstOdometerKm[message.device.id];
  if (first !== undefined && rng.chance(0.5)) return rewrite({ odometerKm: Math.max(0, Math.floor(first) - 100) }, 'odometer_backwards');
  return rewrite({ socPct: 140 }, 'impossible_value');
}

function impersonate(message: OutgoingMessage, rng: Random, peers: FaultPeers): OutgoingMessage | undefined {
  if (message.channel !== 'telemetry') return undefined;
  const others = (message.device.kind === 'vehicle' ? peers.vehicles : peers.chargers).filter((id) => id !== message.device.id);
  if (others.length === 0) return undefined;
  const victim = rng.pick(others);
  const payload = { ...message.payload, deviceId: victim };
  if (rng.chance(0.5)) {
    // Publishing on the victim's topic: refused by the ACL whatever the payload says.
    const topic = formatTopic({ kind: message.device.kind, deviceId: victim, channel: 'telemetry' });
    return mark(message, 'impersonate', { topic, payload, bytes: encode(payload), resend: false, expect: { outcome: 'quarantined', reason: 'topic_forbidden' } });
  }
  return mark(message, 'impersonate', { payload, bytes: encode(payload), expect: { ...message.expect, deviceIdOverridden: true } });
}
