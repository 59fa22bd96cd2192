/**
 * What the mobile app gets back for a verified return (and, replayed, for a repeated upload).
 * The JSON schema beside it drives fastify's serialisation of the 200 answer. Per-photo figures
 * are scores and distances only: no coordinates or capture times (EXIF) leave in the answer.
 */
import type { EventRecord } from '@fleetwire/protocol';
import type { FraudReason, FraudSignalScores } from '../fraud/fraud-features.js';
import type { Verdict, VerdictReason } from './verdict-policy.js';
import type { PreparedPhoto } from '../photos/preprocess.js';
import type { DamageFinding, ParkingCheck, PhotoDamageLocation, ReturnAssessment } from './return-assessment.js';
import { roundBox, roundLocation, type ModelTrace, type ModelVersions, type ReturnSubject } from './return-events.js';

export interface ReturnAnswer {
  returnId: string;
  bookingId: string;
  vehicleId: string;
  tripId?: string;
  verdict: Verdict;
  reasons: VerdictReason[];
  damage: { score: number; findings: DamageFinding[]; locations: PhotoDamageLocation[] };
  fraud: { score: number; suspected: boolean; reasons: FraudReason[]; scores: FraudSignalScores };
  parking: ParkingCheck;
  photos: Array<{ index: number; width: number; height: number; damage: number; screen: number; fraudReasons: FraudReason[]; reuseOf: string | null }>;
  modelVersions: ModelVersions;
  /** The thresholds the models' scores were read with (damage, scratch, dent, crack, screen). */
  modelThresholds: Record<string, number>;
  /** Ids of the events committed for this return: ReturnVerified, then FraudDetected when raised. */
  events: string[];
  verifiedAt: string;
  /** True when this upload repeated an already verified return and got its stored answer. */
  replayed: boolean;
}

const round = (value: number): number => Math.round(value * 10_000) / 10_000;

export interface AnswerInput {
  request: ReturnSubject;
  assessment: ReturnAssessment;
  photos: ReadonlyArray<Pick<PreparedPhoto, 'width' | 'height'>>;
  events: readonly EventRecord[];
  models: ModelTrace;
  verifiedAt: number;
}

export function toReturnAnswer(input: AnswerInput): ReturnAnswer {
  const { request, assessment } = input;
  return {
    returnId: request.returnId,
    bookingId: request.bookingId,
    vehicleId: request.vehicleId,
    ...(request.tripId ? { tripId: request.tripId } : {}),
    verdict: assessment.verdict,
    reasons: assessment.reasons,
    damage: {
      score: round(assessment.damage.score),
      findings: assessment.damage.findings.map((f) => ({ ...f, confidence: round(f.confidence), box: roundBox(f.box) })),
      locations: assessment.damage.locations.map(roundLocation),
    },
    fraud: {
      score: round(assessment.fraud.score),
      suspected: assessment.fraud.suspected,
      reasons: assessment.fraud.reasons,
      scores: Object.fromEntries(Object.entries(assessment.fraud.scores).map(([k, v]) => [k, round(v)])) as FraudSignalScores,
    },
    parking: assessment.parking,
    photos: assessment.photos.map(({ damage, fraud }, index) => ({
      index,
      width: input.photos[index]?.width ?? 0,
      height: input.photos[index]?.height ?? 0,
      damage: round(damage.probability),
      screen: round(fraud.features.screenScore),
      fraudReasons: fraud.reasons,
      reuseOf: fraud.features.reuseOf,
    })),
    modelVersions: input.models.versions,
    modelThresholds: input.models.thresholds,
    events: input.events.map((e) => e.id),
    verifiedAt: new Date(input.verifiedAt).toISOString(),
    replayed: false,
  };
}

const probability = { type: 'number', minimum: 0, maximum: 1 } as const;
const labels = { type: 'array', items: { type: 'string' } } as const;
/** Fractions (0–1) of the photo's upright width and height. */
const box = { type: 'object', properties: { x: probability, y: probability, w: probability, h: probability } } as const;

/** Response schema of a 200 answer (fastify serialises through it: nothing else leaks out). */
export const RETURN_ANSWER_SCHEMA = {
  type: 'object',
  required: ['returnId', 'bookingId', 'vehicleId', 'verdict', 'reasons', 'damage', 'fraud', 'parking', 'photos', 'modelVersions', 'events', 'verifiedAt', 'replayed'],
  properties: {
    returnId: { type: 'string' },
    bookingId: { type: 'string' },
    vehicleId: { type: 'string' },
    tripId: { type: 'string' },
    verdict: { type: 'string', enum: ['accepted', 'review', 'rejected'] },
    reasons: labels,
    damage: {
      type: 'object',
      properties: {
        score: probability,
        findings: {
          type: 'array',
          items: { type: 'object', properties: { label: { type: 'string' }, confidence: probability, photo: { type: 'integer' }, box } },
        },
        locations: {
          type: 'array',
          items: {
            type: 'object',
            properties: { photo: { type: 'integer' }, rows: { type: 'integer' }, cols: { type: 'integer' }, cells: { type: 'array', items: probability } },
          },
        },
      },
    },
    fraud: {
      type: 'object',
      properties: {
        score: probability,
        suspected: { type: 'boolean' },
        reasons: labels,
        scores: { type: 'object', additionalProperties: probability },
      },
    },
    parking: {
      type: 'object',
      properties: { state: { type: 'string' }, areaId: { type: ['string', 'null'] }, positionAgeMs: { type: ['integer', 'null'] } },
    },
    photos: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' }, width: { type: 'integer' }, height: { type: 'integer' },
          damage: probability, screen: probability, fraudReasons: labels, reuseOf: { type: ['string', 'null'] },
        },
      },
    },
    modelVersions: { type: 'object', properties: { damage: { type: 'string' }, screen: { type: 'string' } } },
    modelThresholds: { type: 'object', additionalProperties: probability },
    events: { type: 'array', items: { type: 'string' } },
    verifiedAt: { type: 'string' },
    replayed: { type: 'boolean' },
  },
} as const;
