import type { ReasonCode, Verdict } from './reasons.js';
import { reject } from './reasons.js';
import { validateRecord, type EventRecord, type FleetRecord, type RecordKind } from './records.js';

/** Bus topics. Telemetry is keyed by device id and events by subject id, so each entity stays in order. */
export const BUS_TOPICS = {
  vehicleTelemetry: 'fleetwire.telemetry.vehicle',
  chargerTelemetry: 'fleetwire.telemetry.charger',
  events: 'fleetwire.events',
  deadLetters: 'fleetwire.dlq',
  /**
   * The services' checkpoints: one record per (group, topic, partition), the newest of a key
   * replacing the older (compacted). Not a fleet record: only the cloud's services read it.
   */
  checkpoints: 'fleetwire.checkpoints',
  /**
   * The analytics service's first stage to its second: per-partition partial aggregates of
   * days and booking windows (docs/analytics.md). Not a fleet record: only analytics reads it.
   */
  analyticsPartials: 'fleetwire.analytics.partials',
} as const;
export type BusTopic = (typeof BUS_TOPICS)[keyof typeof BUS_TOPICS];

export const BUS_HEADERS = {
  /** The MessageId: consumers dedupe on it and count gaps per (device, epoch). */
  id: 'fw-id',
  /** The record kind, or `dead_letter`. */
  kind: 'fw-kind',
  /** "{schema name}.v{version}", e.g. "vehicle_telemetry.v1", "TripEnded.v1". */
  schema: 'fw-schema',
  /** Dead letters only: the reason code, a short detail and who sent the bytes. */
  reason: 'fw-reason',
  detail: 'fw-detail',
  source: 'fw-source',
} as const;

export interface BusMessage {
  topic: BusTopic;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

const TOPIC_BY_KIND: Record<RecordKind, BusTopic> = {
  vehicle_telemetry: BUS_TOPICS.vehicleTelemetry,
  charger_telemetry: BUS_TOPICS.chargerTelemetry,
  event: BUS_TOPICS.events,
};

/**
 * What the cloud routes a record by — its bus topic, key and headers, and the devices it names —
 * without its payload. Ingest reads it from a batch line's bytes (record-bytes.ts) or, for a
 * line that took the full path, from the parsed record (`headOf`).
 */
export interface RecordHead {
  id: string;
  kind: RecordKind;
  source: FleetRecord['source'];
  /** Events only: what the event is about; its id is the bus key. */
  subject?: EventRecord['payload']['subject'];
  /** "{schema name}.v{version}", e.g. "vehicle_telemetry.v1", "TripEnded.v1". */
  schema: string;
}

export function headOfTelemetry(id: string, kind: Exclude<RecordKind, 'event'>, source: FleetRecord['source'], version: number): RecordHead {
  return { id, kind, source, schema: `${kind}.v${version}` };
}

export function headOf(record: FleetRecord): RecordHead {
  if (record.kind !== 'event') return headOfTelemetry(record.id, record.kind, record.source, record.payload.v);
  const { subject, type, schemaVersion } = record.payload;
  return { id: record.id, kind: record.kind, source: record.source, subject, schema: `${type}.v${schemaVersion}` };
}

export function schemaName(record: FleetRecord): string {
  return headOf(record).schema;
}

/** The value is the record's JSON as it is: consumers see id, source and both timestamps. */
export function busMessageOf(head: RecordHead, value: Buffer): BusMessage {
  return {
    topic: TOPIC_BY_KIND[head.kind],
    key: head.subject?.id ?? head.source.id,
    value,
    headers: {
      [BUS_HEADERS.id]: head.id,
      [BUS_HEADERS.kind]: head.kind,
      [BUS_HEADERS.schema]: head.schema,
    },
  };
}

/**
 * `serialized` is the record's JSON when the caller already holds it (the cloud forwards the
 * validated line of the edge batch as it came, instead of encoding the parsed record again).
 */
export function toBusMessage(record: FleetRecord, serialized?: Buffer): BusMessage {
  return busMessageOf(headOf(record), serialized ?? Buffer.from(JSON.stringify(record)));
}

/** Headers are metadata, not a second copy of the payload: the detail is cut to this length. */
export const DEAD_LETTER_DETAIL_MAX = 512;

/**
 * The original bytes, untouched, with why they were refused. Key: the sender, or `unknown`.
 * `id` is the record id the bytes claimed, when one could be read (header `fw-id`).
 */
export function toDeadLetter(
  raw: Uint8Array,
  reason: ReasonCode,
  detail: string,
  sourceId?: string,
  id?: string,
): BusMessage {
  const source = sourceId === undefined || sourceId === '' ? 'unknown' : sourceId;
  return {
    topic: BUS_TOPICS.deadLetters,
    key: source,
    value: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
    headers: {
      [BUS_HEADERS.kind]: 'dead_letter',
      [BUS_HEADERS.reason]: reason,
      [BUS_HEADERS.detail]: detail.slice(0, DEAD_LETTER_DETAIL_MAX),
      [BUS_HEADERS.source]: source,
      ...(id === undefined ? {} : { [BUS_HEADERS.id]: id }),
    },
  };
}

/** The consumer side of toBusMessage: parse and fully validate a bus value. */
export function fromBusValue(value: Uint8Array): Verdict<FleetRecord> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch (error) {
    return reject('malformed_json', (error as Error).message);
  }
  return validateRecord(json);
}
