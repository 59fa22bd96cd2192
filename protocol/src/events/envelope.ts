import { Type, type Static } from '@sinclair/typebox';
import { MessageIdSchema, type DeviceKind } from '../ids.js';
import { invalidArgument } from '../errors.js';
import { accept, reject, type Verdict } from '../reasons.js';
import { compileValidator, type Validator } from '../validation.js';
import { EntityId, IsoTimestamp, strict } from './fields.js';
import { CURRENT_EVENT_VERSION, EVENT_DATA_SCHEMAS, isEventType, type EventData, type EventType } from './types.js';

export const SUBJECT_KINDS = ['vehicle', 'charger', 'trip', 'booking', 'site', 'fleet'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** `service`: a business system around fleetwire (booking, payment), publishing through the cloud's business events API. */
export const EVENT_SOURCE_KINDS = ['vehicle', 'charger', 'edge', 'cloud', 'service'] as const;
export type EventSourceKind = (typeof EVENT_SOURCE_KINDS)[number];
/** "{kind}:{name}", e.g. "vehicle:VH-0001", "edge:node-1", "cloud:maintenance", "service:booking". */
export const EVENT_SOURCE_PATTERN = '^(vehicle|charger|edge|cloud|service):[A-Za-z0-9_.-]{1,64}$';

/** The envelope with `data` still opaque: shape first, then type, version and data. */
export const EventEnvelopeSchema = Type.Object(
  {
    eventId: MessageIdSchema,
    type: Type.String({ minLength: 1, maxLength: 64 }),
    schemaVersion: Type.Integer({ minimum: 1 }),
    occurredAt: IsoTimestamp,
    source: Type.String({ pattern: EVENT_SOURCE_PATTERN }),
    subject: Type.Object(
      { kind: Type.Union(SUBJECT_KINDS.map((kind) => Type.Literal(kind))), id: EntityId },
      strict,
    ),
    correlationId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    data: Type.Unknown(),
  },
  strict,
);

type EnvelopeBase = Omit<Static<typeof EventEnvelopeSchema>, 'type' | 'data'>;

/** A domain event; a discriminated union on `type` when T is not narrowed. */
export type EventEnvelope<T extends EventType = EventType> = {
  [K in T]: EnvelopeBase & { type: K; data: EventData[K] };
}[T];

/**
 * The events a device may publish itself. Everything else (verdicts, payments, fraud, reports)
 * is produced by the edge or the cloud; a device claiming one is refused, never trusted.
 */
export const DEVICE_EVENT_TYPES: Readonly<Record<DeviceKind, readonly EventType[]>> = {
  vehicle: ['VehicleUnlocked', 'TripStarted', 'TripEnded', 'BatteryLow', 'MaintenanceRequired', 'CommandAcknowledged'],
  charger: ['ChargingSessionStarted', 'ChargingSessionStopped', 'ChargerFaulted'],
};

/**
 * The events the business systems around fleetwire publish (through the cloud's business events
 * API, never through an edge node): bookings, their cancellation, payments and their failures
 * (PaymentProcessed with status `failed`).
 */
export const BUSINESS_EVENT_TYPES: readonly EventType[] = ['VehicleBooked', 'BookingCancelled', 'PaymentProcessed'];

const validateEnvelopeShape = compileValidator(EventEnvelopeSchema);

const dataValidators = new Map<string, Validator<unknown>>();
for (const [type, versions] of Object.entries(EVENT_DATA_SCHEMAS)) {
  for (const [version, schema] of Object.entries(versions)) {
    dataValidators.set(`${type}@${version}`, compileValidator(schema, { at: '/data' }));
  }
}

export function supportedEventVersions(type: EventType): number[] {
  return Object.keys(EVENT_DATA_SCHEMAS[type]).map(Number);
}

export function validateEvent(value: unknown): Verdict<EventEnvelope> {
  const shape = validateEnvelopeShape(value);
  if (!shape.ok) return shape;
  const envelope = shape.value;
  if (!isEventType(envelope.type)) return reject('unknown_event_type', `unknown event type: ${envelope.type}`);
  const validateData = dataValidators.get(`${envelope.type}@${envelope.schemaVersion}`);
  if (!validateData) {
    return reject('unsupported_version', `${envelope.type} schema version ${envelope.schemaVersion} is not supported`);
  }
  if (Number.isNaN(Date.parse(envelope.occurredAt))) {
    return reject('impossible_value', `/occurredAt: not a real instant: ${envelope.occurredAt}`);
  }
  const data = validateData(envelope.data);
  if (!data.ok) return reject(data.reason, `${envelope.type} ${data.detail}`);
  return accept(envelope as EventEnvelope);
}

export function formatEventSource(kind: EventSourceKind, name: string): string {
  return `${kind}:${name}`;
}

export interface CreateEventFields<T extends EventType> {
  eventId: string;
  source: string;
  subject: { kind: SubjectKind; id: string };
  data: EventData[T];
  /** Defaults to now. Numbers are ms since the Unix epoch. */
  occurredAt?: string | number | Date;
  correlationId?: string;
  /** Defaults to the current version of the type. */
  schemaVersion?: number;
}

function toIso(at: string | number | Date | undefined): string {
  if (typeof at === 'string') return at;
  return new Date(at ?? Date.now()).toISOString();
}

/** Builds and validates an event; throws ProtocolError when the fields are not a valid event. */
export function createEvent<T extends EventType>(type: T, fields: CreateEventFields<T>): EventEnvelope<T> {
  const event = {
    eventId: fields.eventId,
    type,
    schemaVersion: fields.schemaVersion ?? CURRENT_EVENT_VERSION,
    occurredAt: toIso(fields.occurredAt),
    source: fields.source,
    subject: { kind: fields.subject.kind, id: fields.subject.id },
    ...(fields.correlationId === undefined ? {} : { correlationId: fields.correlationId }),
    data: fields.data,
  };
  const verdict = validateEvent(event);
  if (!verdict.ok) throw invalidArgument(`invalid ${type} event (${verdict.reason}): ${verdict.detail}`);
  return event as EventEnvelope<T>;
}
