/**
 * The events a verified return becomes: ReturnVerified always, FraudDetected when fraud is
 * suspected. Both are critical records (protocol classifyPriority) with the edge node as
 * source and the vehicle as subject (so the bus keeps them in order with the vehicle's other
 * events); the booking id correlates them with the booking's other events.
 *
 * Their ids are derived from the return, not from a counter: `{nodeId}:r{sha256(returnId)[:31]}:{0|1}`
 * (0 ReturnVerified, 1 FraudDetected). Verifying the same return again — say after a crash
 * between the buffer commit and the return's own bookkeeping — yields the same ids, which the
 * buffer and every consumer drop as duplicates, so a return is verified once downstream.
 */
import { createHash } from 'node:crypto';
import { createEvent, createEventRecord, formatEventSource, formatMessageId, type EventRecord } from '@fleetwire/protocol';
import type { PhotoBox, PhotoDamageLocation, ReturnAssessment } from './return-assessment.js';

export interface ReturnSubject {
  returnId: string;
  bookingId: string;
  vehicleId: string;
  tripId?: string;
}

export interface ModelVersions {
  damage: string;
  screen: string;
}

/** What produced a verdict: each model's version and the thresholds it was read with (model-selection.ts). */
export interface ModelTrace {
  versions: ModelVersions;
  /** damage (photo), scratch, dent, crack, screen. */
  thresholds: Record<string, number>;
}

export interface ReturnEventsInput {
  nodeId: string;
  subject: ReturnSubject;
  assessment: ReturnAssessment;
  photoCount: number;
  models: ModelTrace;
  /** When the verdict was reached, ms since epoch: the events' occurredAt and receivedAt. */
  verifiedAt: number;
}

export function returnEventIds(nodeId: string, returnId: string): { returnVerified: string; fraudDetected: string } {
  const epoch = `r${createHash('sha256').update(returnId).digest('hex').slice(0, 31)}`;
  return {
    returnVerified: formatMessageId({ deviceId: nodeId, epoch, seq: 0 }),
    fraudDetected: formatMessageId({ deviceId: nodeId, epoch, seq: 1 }),
  };
}

/** Scores travel rounded: four decimals say everything a 0–1 model score can mean. */
const round = (value: number): number => Math.round(value * 10_000) / 10_000;

/** Location cells are read by people: two decimals, and the grid stays small on the bus (the answer uses the same). */
export function roundLocation(location: PhotoDamageLocation): PhotoDamageLocation {
  return { photo: location.photo, rows: location.rows, cols: location.cols, cells: location.cells.map((p) => Math.round(p * 100) / 100) };
}

/** Boxes travel rounded like scores (the answer uses the same). */
export function roundBox(box: PhotoBox): PhotoBox {
  return { x: round(box.x), y: round(box.y), w: round(box.w), h: round(box.h) };
}

export function buildReturnEvents(input: ReturnEventsInput): EventRecord[] {
  const { nodeId, subject, assessment, verifiedAt } = input;
  const ids = returnEventIds(nodeId, subject.returnId);
  const envelope = {
    source: formatEventSource('edge', nodeId),
    subject: { kind: 'vehicle' as const, id: subject.vehicleId },
    occurredAt: verifiedAt,
    correlationId: subject.bookingId,
  };
  const refs = { returnId: subject.returnId, bookingId: subject.bookingId, vehicleId: subject.vehicleId, ...(subject.tripId ? { tripId: subject.tripId } : {}) };
  const verified = createEvent('ReturnVerified', {
    ...envelope,
    eventId: ids.returnVerified,
    data: {
      ...refs,
      verdict: assessment.verdict,
      damage: {
        score: round(assessment.damage.score),
        findings: assessment.damage.findings.map((f) => ({ label: f.label, confidence: round(f.confidence), photo: f.photo, box: roundBox(f.box) })),
        locations: assessment.damage.locations.map(roundLocation),
      },
      fraud: { score: round(assessment.fraud.score), reasons: assessment.fraud.reasons },
      parkedInGeofence: assessment.parking.state === 'inside',
      ...(assessment.parking.areaId ? { geofenceId: assessment.parking.areaId } : {}),
      photoCount: input.photoCount,
      modelVersions: { damage: input.models.versions.damage, screen: input.models.versions.screen },
      modelThresholds: { ...input.models.thresholds },
    },
  });
  const edge = { source: { kind: 'edge' as const, id: nodeId }, receivedAt: verifiedAt };
  const records: EventRecord[] = [createEventRecord(verified, edge)];
  if (assessment.fraud.suspected && assessment.fraud.reasons.length > 0) {
    const scores = Object.fromEntries(Object.entries(assessment.fraud.scores).map(([signal, score]) => [signal, round(score)]));
    const fraud = createEvent('FraudDetected', {
      ...envelope,
      eventId: ids.fraudDetected,
      data: {
        ...refs, score: round(assessment.fraud.score), scores, reasons: assessment.fraud.reasons,
        modelVersion: input.models.versions.screen, modelThresholds: { screen: input.models.thresholds.screen as number },
      },
    });
    records.push(createEventRecord(fraud, edge));
  }
  return records;
}
