/**
 * The decision for one business event, as a plain function over data: the bytes a client sent
 * and who it is → the event to store, or the protocol reason it is refused with and the error
 * the API answers. Checks, in order: JSON, the protocol envelope and data schema, that the type
 * is a business event the client may publish, that the event id and source name the client
 * (never trusted from the payload: another client's id could shadow its events in every
 * consumer's dedupe), and that the subject is the vehicle or booking the data names (the
 * subject is the bus key, so it decides which partition — and which order — the event joins).
 */
import {
  BUSINESS_EVENT_TYPES,
  formatEventSource,
  parseMessageId,
  validateEvent,
  type EventEnvelope,
  type ReasonCode,
} from '@fleetwire/protocol';
import type { CloudErrorCode } from '../errors.js';
import type { ClientIdentity } from './clients/client-registry.js';

export type EventJudgement =
  | { ok: true; event: EventEnvelope }
  | { ok: false; reason: ReasonCode; detail: string; code: CloudErrorCode; eventId?: string };

const businessTypes: ReadonlySet<string> = new Set(BUSINESS_EVENT_TYPES);

export function judgeBusinessEvent(raw: Buffer, client: ClientIdentity): EventJudgement {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    return refuse('malformed_json', (error as Error).message, 'FW_EVENT_INVALID');
  }
  const claimedId = readableEventId(value);
  const verdict = validateEvent(value);
  if (!verdict.ok) return refuse(verdict.reason, verdict.detail, 'FW_EVENT_INVALID', claimedId);
  const event = verdict.value;
  if (!businessTypes.has(event.type)) {
    return refuse('event_type_not_allowed', `${event.type} is not a business event (${BUSINESS_EVENT_TYPES.join(', ')})`, 'FW_EVENT_TYPE_NOT_ALLOWED', event.eventId);
  }
  if (!client.eventTypes.has(event.type)) {
    return refuse('event_type_not_allowed', `client ${client.clientId} may not publish ${event.type}`, 'FW_EVENT_TYPE_NOT_ALLOWED', event.eventId);
  }
  if (parseMessageId(event.eventId)?.deviceId !== client.clientId) {
    return refuse('source_mismatch', `eventId ${event.eventId} must start with the client id: ${client.clientId}:{epoch}:{seq}`, 'FW_EVENT_SOURCE_MISMATCH', event.eventId);
  }
  const source = formatEventSource('service', client.clientId);
  if (event.source !== source) {
    return refuse('source_mismatch', `source ${event.source} is not the caller (${source})`, 'FW_EVENT_SOURCE_MISMATCH', event.eventId);
  }
  const subjectProblem = subjectMismatch(event);
  if (subjectProblem !== undefined) return refuse('subject_mismatch', subjectProblem, 'FW_EVENT_SUBJECT_MISMATCH', event.eventId);
  return { ok: true, event };
}

/** A booking event's subject is its vehicle or its booking; a payment's is its booking. */
function subjectMismatch(event: EventEnvelope): string | undefined {
  const { subject, data } = event;
  const names = data as { bookingId: string; vehicleId?: string };
  if (subject.kind === 'booking' && subject.id === names.bookingId) return undefined;
  if (subject.kind === 'vehicle' && names.vehicleId !== undefined && subject.id === names.vehicleId) return undefined;
  const allowed = names.vehicleId === undefined ? `booking ${names.bookingId}` : `vehicle ${names.vehicleId} or booking ${names.bookingId}`;
  return `subject ${subject.kind} ${subject.id} is not the ${allowed} of its data`;
}

function readableEventId(value: unknown): string | undefined {
  const id = typeof value === 'object' && value !== null ? (value as { eventId?: unknown }).eventId : undefined;
  return parseMessageId(id) === undefined ? undefined : (id as string);
}

function refuse(reason: ReasonCode, detail: string, code: CloudErrorCode, eventId?: string): EventJudgement {
  return { ok: false, reason, detail, code, ...(eventId === undefined ? {} : { eventId }) };
}
