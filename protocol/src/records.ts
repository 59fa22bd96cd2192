import { Type, type Static } from '@sinclair/typebox';
import { MessageIdSchema } from './ids.js';
import { accept, reject, type Verdict } from './reasons.js';
import { compileValidator } from './validation.js';
import { validateVehicleTelemetry, type VehicleTelemetry } from './telemetry/vehicle.js';
import { validateChargerTelemetry, type ChargerTelemetry } from './telemetry/charger.js';
import { validateEvent, type EventEnvelope } from './events/envelope.js';
import type { EventType } from './events/types.js';
import { RETURN_SAGA_EVENT_SCHEMAS } from './events/returns.js';
import { COMMAND_EVENT_TYPES } from './events/commands.js';

export const RECORD_KINDS = ['vehicle_telemetry', 'charger_telemetry', 'event'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const PRIORITIES = ['critical', 'alert', 'telemetry'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const RECORD_SOURCE_KINDS = ['vehicle', 'charger', 'edge', 'cloud', 'service'] as const;
export type RecordSourceKind = (typeof RECORD_SOURCE_KINDS)[number];

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));

/** The record with `payload` opaque; the payload is validated by `kind` afterwards. */
export const FleetRecordSchema = Type.Object(
  {
    id: MessageIdSchema,
    kind: literals(RECORD_KINDS),
    source: Type.Object(
      { kind: literals(RECORD_SOURCE_KINDS), id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) },
      { additionalProperties: false },
    ),
    priority: literals(PRIORITIES),
    deviceTime: Type.Integer({ minimum: 0 }),
    receivedAt: Type.Integer({ minimum: 0 }),
    clock: Type.Optional(
      Type.Object(
        { skewMs: Type.Integer(), flag: Type.Union([Type.Literal('skewed'), Type.Literal('corrected')]) },
        { additionalProperties: false },
      ),
    ),
    deviceIdOverridden: Type.Optional(Type.Literal(true)),
    payload: Type.Unknown(),
  },
  { additionalProperties: false },
);

type RecordBase = Omit<Static<typeof FleetRecordSchema>, 'kind' | 'payload'>;

export type VehicleTelemetryRecord = RecordBase & { kind: 'vehicle_telemetry'; payload: VehicleTelemetry };
export type ChargerTelemetryRecord = RecordBase & { kind: 'charger_telemetry'; payload: ChargerTelemetry };
export type EventRecord = RecordBase & { kind: 'event'; payload: EventEnvelope };
/** The unit the edge buffers and forwards and the cloud validates and writes. */
export type FleetRecord = VehicleTelemetryRecord | ChargerTelemetryRecord | EventRecord;

/** A record whose id the edge has not assigned yet (distributes over the union). */
export type PendingRecord = FleetRecord extends infer R
  ? R extends FleetRecord
    ? Omit<R, 'id'> & { id?: string }
    : never
  : never;

const CRITICAL_EVENTS: ReadonlySet<EventType> = new Set<EventType>([
  'TripEnded',
  'ReturnVerified',
  'FraudDetected',
  'PaymentProcessed',
  'ChargerFaulted',
  'ChargingSessionStopped',
  'VehicleBooked',
  'BookingCancelled',
  ...COMMAND_EVENT_TYPES,
  'VehicleUnlocked',
  'TripStarted',
  'ChargingSessionStarted',
  // Every step of a return saga: decisions, compensations, payment requests.
  ...(Object.keys(RETURN_SAGA_EVENT_SCHEMAS) as EventType[]),
]);
const ALERT_EVENTS: ReadonlySet<EventType> = new Set<EventType>(['BatteryLow', 'MaintenanceRequired', 'DemandSpike']);

/** Critical events leave first and are never evicted; reports travel as telemetry. */
/**
 * When a reading was taken, as far as the edge can trust it: the device time, unless the edge
 * flagged the device clock as skewed — then its own receive time. Ordering decisions (the
 * newest odometer, the last position) use this, so one reading stamped a year ahead cannot
 * freeze a vehicle's state.
 */
export function trustedTime(record: Pick<RecordBase, 'deviceTime' | 'receivedAt' | 'clock'>): number {
  return record.clock?.flag === 'skewed' ? record.receivedAt : record.deviceTime;
}

export function classifyPriority(record: Pick<FleetRecord, 'kind' | 'payload'>): Priority {
  if (record.kind !== 'event') return 'telemetry';
  const type = (record.payload as EventEnvelope).type;
  if (CRITICAL_EVENTS.has(type)) return 'critical';
  if (ALERT_EVENTS.has(type)) return 'alert';
  return 'telemetry';
}

const validateRecordShape = compileValidator(FleetRecordSchema);

/** Telemetry comes from a device of the matching kind. */
export const TELEMETRY_SOURCE_KINDS: Readonly<Record<Exclude<RecordKind, 'event'>, RecordSourceKind>> = {
  vehicle_telemetry: 'vehicle',
  charger_telemetry: 'charger',
};

/**
 * Full check of a record that crossed a trust boundary (uplink batch, bus): the envelope, the
 * payload by kind, and that telemetry comes from a device of the matching kind.
 */
export function validateRecord(value: unknown): Verdict<FleetRecord> {
  const shape = validateRecordShape(value);
  if (!shape.ok) return shape;
  const record = shape.value;
  let payload: Verdict<unknown>;
  switch (record.kind) {
    case 'vehicle_telemetry':
      if (record.source.kind !== TELEMETRY_SOURCE_KINDS[record.kind]) return reject('schema_violation', 'vehicle telemetry from a non-vehicle source');
      payload = validateVehicleTelemetry(record.payload);
      break;
    case 'charger_telemetry':
      if (record.source.kind !== TELEMETRY_SOURCE_KINDS[record.kind]) return reject('schema_violation', 'charger telemetry from a non-charger source');
      payload = validateChargerTelemetry(record.payload);
      break;
    case 'event':
      payload = validateEvent(record.payload);
      break;
  }
  if (!payload.ok) return reject(payload.reason, `payload ${payload.detail}`);
  return accept(record as FleetRecord);
}

export interface EventRecordOptions {
  source: { kind: RecordSourceKind; id: string };
  /** When the producing stage took custody, ms since the Unix epoch. */
  receivedAt: number;
}

/** Wraps an event produced by the edge or the cloud; the record id is the event id. */
export function createEventRecord(event: EventEnvelope, options: EventRecordOptions): EventRecord {
  return {
    id: event.eventId,
    kind: 'event',
    source: { kind: options.source.kind, id: options.source.id },
    priority: classifyPriority({ kind: 'event', payload: event }),
    deviceTime: Date.parse(event.occurredAt),
    receivedAt: options.receivedAt,
    payload: event,
  };
}
