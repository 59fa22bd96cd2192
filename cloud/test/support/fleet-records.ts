/** Records for the fleet service's tests: readings with chosen values, and events of any type. */
import { createEvent, createEventRecord, type ChargerTelemetry, type ChargerTelemetryRecord, type EventData, type EventEnvelope, type EventRecord, type EventType, type SubjectKind, type VehicleTelemetry, type VehicleTelemetryRecord } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import { chargerRecord, vehicleRecord } from './batches.js';

export const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);

export function reading(vehicleId: string, seq: number, at: number, payload: Partial<VehicleTelemetry> = {}): VehicleTelemetryRecord {
  const record = vehicleRecord(vehicleId, seq, at);
  return { ...record, payload: { ...record.payload, ...payload } };
}

export function connectorReading(chargerId: string, seq: number, at: number, payload: Partial<ChargerTelemetry> = {}): ChargerTelemetryRecord {
  const record = chargerRecord(chargerId, seq, at);
  return { ...record, payload: { ...record.payload, ...payload } };
}

export interface EventOptions {
  /** The device that sent it ("vehicle:VH-1"), default the edge. */
  source?: { kind: 'vehicle' | 'charger' | 'edge' | 'cloud'; id: string };
  subject: { kind: SubjectKind; id: string };
  at: number;
  seq: number;
  /** The saga or command the event belongs to. */
  correlationId?: string;
}

export function eventRecord<T extends EventType>(type: T, data: Partial<EventData[T]>, options: EventOptions): EventRecord {
  const source = options.source ?? { kind: 'edge', id: 'node-1' };
  const event = createEvent(type, {
    eventId: `${source.id}:ev1:${options.seq}`,
    source: `${source.kind}:${source.id}`,
    subject: options.subject,
    ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
    occurredAt: options.at,
    data: { ...eventDataFixture(type), ...data } as EventData[T],
  });
  return createEventRecord(event as EventEnvelope, { source, receivedAt: options.at + 100 });
}
