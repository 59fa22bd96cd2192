/**
 * Turns model emissions into messages: each device numbers what it sends with its boot epoch
 * and a sequence counter (so ids are device-assigned and the simulator knows every id it
 * published), stamps its own clock (skew included), and encodes protocol payloads. Events a
 * device may not publish itself (VehicleBooked comes from the booking backend) are framed as
 * backend events with their own id space instead of going to MQTT.
 */
import { DEVICE_EVENT_TYPES, createEvent, formatMessageId, formatTopic } from '@fleetwire/protocol';
import type { EventEnvelope, EventType } from '@fleetwire/protocol';
import type { Random } from '../random/random.js';
import type { DeviceKind, Emission, EventEmission } from './emission.js';
import type { OutgoingMessage } from './outgoing.js';
import { ACCEPTED } from './outgoing.js';
import { sparseReport, type Reported } from './sparse-reporting.js';

export interface DeviceClock {
  kind: DeviceKind | 'backend';
  /** Boot id: 1–32 alphanumerics. */
  epoch: string;
  nextSeq: number;
  /** How far the device's clock is off, ms (0 for a healthy clock). */
  clockSkewMs: number;
  /** A sparse, on-change device (sparse-reporting.ts): what it last reported, per connector for a charger. */
  sparse?: Readonly<Record<string, Reported>>;
}

export type FramingState = Record<string, DeviceClock>;

/**
 * Id space of events that come from the booking backend rather than a device: the booking
 * service's client id at the cloud's business events API, which requires event ids
 * `{clientId}:{epoch}:{seq}` and source `service:{clientId}`.
 */
export const BACKEND_ID = 'booking';
const BACKEND_SOURCE = `service:${BACKEND_ID}`;

export interface DeviceEmission {
  device: { kind: DeviceKind; id: string };
  emission: Emission;
}

export interface Framed {
  state: FramingState;
  messages: OutgoingMessage[];
  backendEvents: EventEnvelope[];
}

export function newEpoch(rng: Random): string {
  return Array.from({ length: 8 }, () => '0123456789abcdefghijklmnopqrstuvwxyz'[rng.int(0, 35)]).join('');
}

export function createFramingState(devices: ReadonlyArray<{ kind: DeviceKind; id: string; clockSkewMs: number; sparse?: boolean }>, rng: Random): FramingState {
  const state: FramingState = { [BACKEND_ID]: { kind: 'backend', epoch: newEpoch(rng), nextSeq: 0, clockSkewMs: 0 } };
  for (const device of devices) {
    state[device.id] = { kind: device.kind, epoch: newEpoch(rng), nextSeq: 0, clockSkewMs: device.clockSkewMs, ...(device.sparse ? { sparse: {} } : {}) };
  }
  return state;
}

/** A sparse device's body for this reading (undefined: nothing changed, nothing sent), updating what it last reported. */
function reportedBody(next: FramingState, device: { kind: DeviceKind; id: string }, body: Record<string, unknown>): Record<string, unknown> | undefined {
  const clock = next[device.id];
  if (clock?.sparse === undefined) return body;
  const key = device.kind === 'charger' ? `connector-${String(body['connectorId'])}` : 'vehicle';
  const report = sparseReport(device.kind, body, clock.sparse[key]);
  next[device.id] = { ...clock, sparse: { ...clock.sparse, [key]: report.last } };
  return report.body;
}

/**
 * `stamp` maps simulated time to the time a healthy device clock shows (identity for a
 * simulated-time run; the wall clock for an accelerated run that must look current).
 */
export function frameEmissions(state: FramingState, batch: readonly DeviceEmission[], stamp: (simTime: number) => number): Framed {
  const next: FramingState = { ...state };
  const messages: OutgoingMessage[] = [];
  const backendEvents: EventEnvelope[] = [];
  const take = (id: string): { clock: DeviceClock; seq: number } => {
    const clock = next[id];
    if (!clock) throw new RangeError(`no device clock for ${id}`);
    next[id] = { ...clock, nextSeq: clock.nextSeq + 1 };
    return { clock, seq: clock.nextSeq };
  };
  for (const { device, emission } of batch) {
    const body = emission.channel === 'telemetry' ? reportedBody(next, device, emission.body) : undefined;
    if (emission.channel === 'telemetry' && body === undefined) continue;
    if (emission.channel === 'events' && !DEVICE_EVENT_TYPES[device.kind].includes(emission.type)) {
      const { clock, seq } = take(BACKEND_ID);
      const eventId = formatMessageId({ deviceId: BACKEND_ID, epoch: clock.epoch, seq });
      backendEvents.push(envelope(emission, eventId, BACKEND_SOURCE, stamp(emission.at)));
      continue;
    }
    const { clock, seq } = take(device.id);
    const id = formatMessageId({ deviceId: device.id, epoch: clock.epoch, seq });
    const deviceTime = Math.round(stamp(emission.at) + clock.clockSkewMs);
    const topic = formatTopic({ kind: device.kind, deviceId: device.id, channel: emission.channel });
    const skewed = clock.clockSkewMs !== 0;
    const common = {
      id,
      device,
      topic,
      simTime: emission.at,
      deviceTime,
      faults: skewed ? (['skew'] as OutgoingMessage['faults']) : [],
      expect: skewed ? { outcome: 'accepted' as const, clockSkewed: true as const } : ACCEPTED,
      copies: 1,
      resend: true,
    };
    if (emission.channel === 'events') {
      const payload = envelope(emission, id, `${device.kind}:${device.id}`, deviceTime) as unknown as Record<string, unknown>;
      messages.push({ ...common, channel: 'events', recordKind: 'event', eventType: emission.type, payload, bytes: encode(payload) });
    } else {
      const payload = { v: 1, ts: deviceTime, epoch: clock.epoch, seq, deviceId: device.id, ...body };
      const recordKind = device.kind === 'vehicle' ? 'vehicle_telemetry' : 'charger_telemetry';
      messages.push({ ...common, channel: 'telemetry', recordKind, payload, bytes: encode(payload) });
    }
  }
  return { state: next, messages, backendEvents };
}

function envelope(emission: EventEmission, eventId: string, source: string, occurredAt: number): EventEnvelope {
  return createEvent(emission.type as EventType, {
    eventId,
    source,
    subject: emission.subject,
    occurredAt,
    ...(emission.correlationId === undefined ? {} : { correlationId: emission.correlationId }),
    data: emission.data as never,
  });
}

export function encode(payload: unknown): Buffer {
  return Buffer.from(JSON.stringify(payload), 'utf8');
}
