/**
 * The MaintenanceRequired event a finding raises, and its deterministic id.
 *
 * The id is `maintenance:{epoch}:{seq}` in the protocol's MessageId format: the epoch is a hash
 * of (vehicle, component) — 32 hex digits, as an epoch is alphanumeric and vehicle ids are not —
 * and the seq is the UTC day (days since 1970-01-01) of the data that raised the finding. The
 * same finding derived again — a re-delivered record, a replay after a restart — therefore gets
 * the same id, and every consumer's dedupe by id drops the copy. The device part is the
 * service's own name, never the vehicle's, so it cannot shadow one of the vehicle's messages.
 * Seqs are day numbers, not a counter: gaps in them mean nothing.
 */
import { createHash } from 'node:crypto';
import { createEvent, createEventRecord, DAY_MS, type EventData, type EventRecord, formatEventSource, formatMessageId } from '@fleetwire/protocol';
import type { Assessment } from './assessment.js';

/** The service's name: the event source `cloud:maintenance` and the device part of its ids. */
export const MAINTENANCE_SOURCE_ID = 'maintenance';
export const MAINTENANCE_SOURCE = formatEventSource('cloud', MAINTENANCE_SOURCE_ID);

const MAX_DAYS = 3650;

export function maintenanceEventId(vehicleId: string, component: string, at: number): string {
  const epoch = createHash('sha256').update(`${vehicleId}\n${component}`).digest('hex').slice(0, 32);
  return formatMessageId({ deviceId: MAINTENANCE_SOURCE_ID, epoch, seq: Math.floor(at / DAY_MS) });
}

export function maintenanceData(assessment: Assessment, horizonDays: number): EventData['MaintenanceRequired'] {
  const withinDays = Math.min(MAX_DAYS, Math.max(0, Math.round(assessment.withinDays * 100) / 100));
  return {
    component: assessment.component,
    reason: assessment.reason,
    confidence: Math.round(Math.min(1, Math.max(0, assessment.confidence)) * 1000) / 1000,
    predictedFailureWithinDays: withinDays,
    // Already past the threshold: act now. Within half the horizon: plan it this week.
    severity: withinDays === 0 ? 'high' : withinDays <= horizonDays / 2 ? 'medium' : 'low',
    evidence: assessment.evidence,
    ...(assessment.dtcs === undefined ? {} : { dtcs: assessment.dtcs }),
  };
}

/** The event record for the bus; `createEvent` validates it, so an invalid one never leaves. */
export function maintenanceEventRecord(vehicleId: string, assessment: Assessment, horizonDays: number, receivedAt: number): EventRecord {
  const event = createEvent('MaintenanceRequired', {
    eventId: maintenanceEventId(vehicleId, assessment.component, assessment.at),
    source: MAINTENANCE_SOURCE,
    subject: { kind: 'vehicle', id: vehicleId },
    occurredAt: assessment.at,
    data: maintenanceData(assessment, horizonDays),
  });
  return createEventRecord(event, { source: { kind: 'cloud', id: MAINTENANCE_SOURCE_ID }, receivedAt });
}
