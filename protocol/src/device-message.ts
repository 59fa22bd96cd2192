import { isUtf8 } from 'node:buffer';
import { formatMessageId, parseMessageId, type DeviceKind } from './ids.js';
import { authorizePublish, type Identity, type TopicParts } from './topics.js';
import { accept, reject, type ReasonCode, type Verdict } from './reasons.js';
import { checkVehicleTelemetry, VehicleTelemetrySchema } from './telemetry/vehicle.js';
import { ChargerTelemetrySchema, checkChargerTelemetry } from './telemetry/charger.js';
import { DEFAULT_UNKNOWN_FIELD_POLICY, type UnknownFieldPolicy } from './telemetry/unknown-fields.js';
import { DEVICE_EVENT_TYPES, validateEvent, type EventEnvelope } from './events/envelope.js';
import { classifyPriority, type FleetRecord, type PendingRecord } from './records.js';

export interface DeviceMessageInput {
  /** The MQTT topic the message was published to. */
  topic: string;
  /** The raw MQTT payload. */
  bytes: Uint8Array;
  /** Who published, as established by authentication. */
  identity: Identity;
  /** Edge receive time, ms since the Unix epoch. */
  receivedAt: number;
  /** Payloads larger than this are refused with `payload_too_large`. */
  maxBytes: number;
  /** Device time further than this from `receivedAt` is flagged `clock.flag = 'skewed'`. */
  maxClockSkewMs: number;
  /** Telemetry fields the schema does not know (default `keep`, under `ext`). */
  unknownFields?: UnknownFieldPolicy;
}

/** Bound on the readings one telemetry message may carry as an array. */
export const MAX_READINGS_PER_MESSAGE = 1000;

/** One reading of a message: `index` is its place in an array message (0 for a single object). */
export type DecodedReading =
  /** `element`: an array's reading as the device sent it, for quarantine should a later check refuse it. */
  | { ok: true; index: number; record: PendingRecord; element?: unknown }
  | { ok: false; index: number; reason: ReasonCode; detail: string; json: string };

export interface DecodedMessage {
  /** True when the payload was an array of readings. */
  array: boolean;
  /** In message order. A single object that fails is a refusal of the whole message instead. */
  readings: DecodedReading[];
  /** Fields the telemetry schema did not know, over all readings. */
  unknownFields: number;
  /** How many of them were dropped (policy `drop`, or past the extension bound). */
  droppedFields: number;
}

type DevicePayload = Pick<FleetRecord, 'kind' | 'payload'> & { deviceTime: number; id?: string; overridden: boolean; unknownFields?: number; droppedFields?: number };

/**
 * The intake hot path, pure: topic → authorisation → size → JSON → schema (telemetry or event
 * by channel) → impossible values → device-id override → clock skew → records.
 *
 * Telemetry may be one reading (an object) or several (an array, e.g. a backlog sent after a
 * device was offline), each with its own `ts` and, when given, `epoch`/`seq`; every reading is
 * judged on its own, so one bad element costs only itself.
 *
 * A record has an `id` when the device supplied one (telemetry `epoch` + `seq`, or an event
 * whose `eventId` belongs to the device). Otherwise the edge names the record by its content
 * (edge/src/message-ids.ts) with `assignRecordId` once it decides to keep it.
 */
export function decodeDeviceMessage(input: DeviceMessageInput): Verdict<DecodedMessage> {
  const topic = authorizePublish(input.identity, input.topic);
  if (!topic.ok) return topic;
  if (input.bytes.byteLength > input.maxBytes) {
    return reject('payload_too_large', `${input.bytes.byteLength} bytes exceeds the limit of ${input.maxBytes}`);
  }
  let json: unknown;
  try {
    if (!isUtf8(input.bytes)) return reject('malformed_json', 'payload is not valid UTF-8');
    json = JSON.parse(Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength).toString('utf8'));
  } catch (error) {
    return reject('malformed_json', (error as Error).message);
  }
  const parts = topic.value;
  const policy = input.unknownFields ?? DEFAULT_UNKNOWN_FIELD_POLICY;
  if (!Array.isArray(json)) {
    const decoded = parts.channel === 'events' ? decodeEvent(json, parts) : decodeTelemetry(json, parts, policy);
    if (!decoded.ok) return decoded;
    const { unknownFields = 0, droppedFields = 0 } = decoded.value;
    return accept({ array: false, readings: [{ ok: true, index: 0, record: toRecord(decoded.value, parts, input) }], unknownFields, droppedFields });
  }
  if (parts.channel === 'events') return reject('schema_violation', 'an events message carries one event, not an array');
  if (json.length === 0 || json.length > MAX_READINGS_PER_MESSAGE) {
    return reject('schema_violation', `an array of readings holds 1 to ${MAX_READINGS_PER_MESSAGE} readings, not ${json.length}`);
  }
  const message: DecodedMessage = { array: true, readings: [], unknownFields: 0, droppedFields: 0 };
  json.forEach((element: unknown, index) => {
    const decoded = decodeTelemetry(element, parts, policy);
    if (!decoded.ok) {
      message.readings.push({ ok: false, index, reason: decoded.reason, detail: `reading [${index}]: ${decoded.detail}`, json: JSON.stringify(element) });
      return;
    }
    message.unknownFields += decoded.value.unknownFields ?? 0;
    message.droppedFields += decoded.value.droppedFields ?? 0;
    message.readings.push({ ok: true, index, record: toRecord(decoded.value, parts, input), element });
  });
  return accept(message);
}

const fieldsOf = (schema: { properties: object }) => new Set(Object.keys(schema.properties));
const onlyIn = (own: Set<string>, other: Set<string>) => new Set([...own].filter((key) => !other.has(key)));
const VEHICLE_FIELDS = fieldsOf(VehicleTelemetrySchema);
const CHARGER_FIELDS = fieldsOf(ChargerTelemetrySchema);
/** Fields that belong only to the other device kind's telemetry. */
const OTHER_KIND_FIELDS = { vehicle: onlyIn(CHARGER_FIELDS, VEHICLE_FIELDS), charger: onlyIn(VEHICLE_FIELDS, CHARGER_FIELDS) } as const;

function toRecord(decoded: DevicePayload, topic: TopicParts, input: DeviceMessageInput): PendingRecord {
  const { kind, payload, deviceTime, id, overridden } = decoded;
  const skewMs = deviceTime - input.receivedAt;
  // Built by assignment, not conditional spreads: this runs once per reading.
  const record: Partial<Record<keyof FleetRecord, unknown>> = {};
  if (id !== undefined) record.id = id;
  record.kind = kind;
  record.source = { kind: topic.kind, id: topic.deviceId };
  record.priority = classifyPriority({ kind, payload } as FleetRecord);
  record.deviceTime = deviceTime;
  record.receivedAt = input.receivedAt;
  if (Math.abs(skewMs) > input.maxClockSkewMs) record.clock = { skewMs, flag: 'skewed' };
  if (overridden) record.deviceIdOverridden = true;
  record.payload = payload;
  return record as PendingRecord;
}

function decodeTelemetry(json: unknown, topic: TopicParts, policy: UnknownFieldPolicy): Verdict<DevicePayload> {
  const verdict = topic.kind === 'vehicle' ? checkVehicleTelemetry(json, policy) : checkChargerTelemetry(json, policy);
  if (!verdict.ok) return verdict;
  const { telemetry, unknownFields, droppedFields, measured } = verdict.value;
  // A reading of only unknown fields is a firmware's new sensor, unless they are the other kind's fields.
  if (!measured && unknownFields.some((path) => OTHER_KIND_FIELDS[topic.kind].has(path))) {
    return reject('schema_violation', `${topic.kind === 'vehicle' ? 'charger' : 'vehicle'} telemetry on a ${topic.kind} topic (${unknownFields.join(', ')})`);
  }
  const overridden = telemetry.deviceId !== undefined && telemetry.deviceId !== topic.deviceId;
  const payload = overridden ? { ...telemetry, deviceId: topic.deviceId } : telemetry;
  const id =
    telemetry.epoch !== undefined && telemetry.seq !== undefined
      ? formatMessageId({ deviceId: topic.deviceId, epoch: telemetry.epoch, seq: telemetry.seq })
      : undefined;
  const kind = topic.kind === 'vehicle' ? 'vehicle_telemetry' : 'charger_telemetry';
  return accept({ kind, payload, deviceTime: telemetry.ts, id, overridden, unknownFields: unknownFields.length, droppedFields } as DevicePayload);
}

function decodeEvent(json: unknown, topic: TopicParts): Verdict<DevicePayload> {
  const verdict = validateEvent(json);
  if (!verdict.ok) return verdict;
  const event = verdict.value;
  if (!DEVICE_EVENT_TYPES[topic.kind].includes(event.type)) {
    return reject('topic_forbidden', `a ${topic.kind} may not publish ${event.type} events`);
  }
  const foreign = foreignDeviceIn(event, topic);
  if (foreign !== undefined) return reject('device_id_mismatch', `${topic.deviceId} may not publish an event about ${foreign}`);
  const ownSource = deviceSource(topic.kind, topic.deviceId);
  const ownsEventId = parseMessageId(event.eventId)?.deviceId === topic.deviceId;
  const overridden = !ownsEventId || event.source !== ownSource;
  const payload: EventEnvelope = event.source === ownSource ? event : { ...event, source: ownSource };
  return accept({
    kind: 'event',
    payload,
    deviceTime: Date.parse(event.occurredAt),
    id: ownsEventId ? event.eventId : undefined,
    overridden,
  });
}

/**
 * The other device an event speaks about, if any. The source and event id can be rewritten to
 * the authenticated device, but the subject and the ids in the data decide which entity the
 * event is keyed by and whose history it changes — a device may only speak for itself.
 */
function foreignDeviceIn(event: EventEnvelope, topic: TopicParts): string | undefined {
  const { subject } = event;
  if ((subject.kind === 'vehicle' || subject.kind === 'charger') && (subject.kind !== topic.kind || subject.id !== topic.deviceId)) {
    return `${subject.kind} ${subject.id}`;
  }
  const data = event.data as { vehicleId?: unknown; chargerId?: unknown };
  const own = topic.kind === 'vehicle' ? data.vehicleId : data.chargerId;
  if (own !== undefined && own !== topic.deviceId) return `${topic.kind} ${String(own)}`;
  return undefined;
}

function deviceSource(kind: DeviceKind, deviceId: string): string {
  return `${kind}:${deviceId}`;
}

/**
 * Completes a pending record with the edge-assigned id. An event that arrived without an id of
 * its own (its `eventId` named another device) gets the same id as its `eventId`, so the id
 * travelling to every consumer is one the edge vouches for.
 */
export function assignRecordId(pending: PendingRecord, id: string): FleetRecord {
  if (pending.kind === 'event' && pending.id === undefined) {
    return { ...pending, id, payload: { ...pending.payload, eventId: id } };
  }
  return { ...pending, id } as FleetRecord;
}
