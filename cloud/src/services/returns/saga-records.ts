/**
 * A transition's emissions as bus records, from the cloud (`cloud:returns`), subject the
 * vehicle (the bus keeps a saga's steps in order with the vehicle's own events), correlation id
 * the saga id. Each emitted step is appended to the saga's steps.
 *
 * Ids come from the saga and the step's place in it, `returns:s{sha256(sagaId)[:31]}:{n}`: a
 * transition computed again from the same saga (a re-delivered event, a second timer tick before
 * the first was stored) yields the same ids, which every consumer drops as duplicates.
 */
import { createHash } from 'node:crypto';
import { createEvent, createEventRecord, formatMessageId, type EventEnvelope, type EventRecord } from '@fleetwire/protocol';
import type { ReturnSaga, SagaTransition } from './return-saga.js';

export const RETURNS_SOURCE = { kind: 'cloud', id: 'returns' } as const;
const EVENT_SOURCE = `${RETURNS_SOURCE.kind}:${RETURNS_SOURCE.id}`;

export function sagaEventId(sagaId: string, n: number): string {
  return formatMessageId({ deviceId: RETURNS_SOURCE.id, epoch: `s${createHash('sha256').update(sagaId).digest('hex').slice(0, 31)}`, seq: n });
}

export function sagaRecords(transition: SagaTransition, now: number): { saga: ReturnSaga; records: EventRecord[] } {
  const saga = structuredClone(transition.saga);
  const records = transition.emit.map((emission) => {
    const eventId = sagaEventId(saga.sagaId, saga.emitted);
    saga.emitted += 1;
    const event = createEvent(emission.type, {
      eventId,
      source: EVENT_SOURCE,
      subject: { kind: 'vehicle', id: saga.vehicleId },
      correlationId: saga.sagaId,
      occurredAt: emission.occurredAt,
      data: emission.data,
    });
    saga.steps.push({ type: emission.type, eventId, at: emission.occurredAt, recordedAt: now, direction: 'emitted', detail: stepDetail(event as EventEnvelope) });
    return createEventRecord(event as EventEnvelope, { source: RETURNS_SOURCE, receivedAt: now });
  });
  return { saga, records };
}

/** The saga's own events are never its input. */
export function isSagaOwn(event: EventEnvelope): boolean {
  return event.source === EVENT_SOURCE;
}

/** What the API shows of an emitted step besides its type and time. */
function stepDetail(event: EventEnvelope): Record<string, unknown> {
  const { sagaId: _s, bookingId: _b, vehicleId: _v, tripId: _t, ...rest } = event.data as Record<string, unknown>;
  return rest;
}
