/**
 * Fraud features of one return photo and the rule that turns them into reasons and a score.
 * Pure: the screen score comes from the screen model, the hash from perceptual-hash.ts, the
 * EXIF from preprocess.ts; the caller supplies the vehicle's reported position, the return time
 * and the hashes of photos seen before (earlier returns and earlier photos of this return).
 *
 * Score: the strongest signal wins (max over per-signal scores), because each signal on its own
 * is evidence enough to send a return to review. Per-signal scores, 0–1:
 *   screenRecapture  the screen model's probability p rescaled piecewise-linearly so that the
 *                    model's own threshold t lands on 0.5: p < t → 0.5·p/t, p >= t →
 *                    0.5 + 0.5·(p − t)/(1 − t) (the identity when t = 0.5); a reason at p >= t
 *   photoReuse       1 when a known hash lies within reuseMaxDistance bits
 *   gpsMismatch      0 up to maxGpsDistanceM, 0.5 just past it, rising linearly to 1 at 4x
 *   exifStale        0 up to maxExifAgeMs, 0.5 just past it, rising linearly to 1 at 4x; 1 when the photo
 *                    claims to be from more than maxFutureSkewMs after the return
 *   exifMissing      missingExifScore when the photo has no capture time or no GPS (apps and
 *                    messengers strip EXIF, so on its own it is weak evidence)
 * `suspected` is score >= suspectScore.
 */
import { closestHash, type PerceptualHash } from '../photos/perceptual-hash.js';
import { haversineM, type GeoPoint } from '../returns/geofence.js';

export interface FraudThresholds {
  /** Probability from the screen model above which a photo is a screen recapture. Default 0.5 (see models/model-card.json). */
  screenThreshold: number;
  /** Hamming distance (of the pHash's 256 bits) at or under which two photos are the same. Default 24. */
  reuseMaxDistance: number;
  /** Photo GPS further than this from the vehicle's reported position is suspicious. Default 150 m. */
  maxGpsDistanceM: number;
  /** Photo older than this at return time is suspicious. Default 30 min. */
  maxExifAgeMs: number;
  /** Photo newer than the return by more than this (phone clock ahead) is suspicious. Default 5 min. */
  maxFutureSkewMs: number;
  /** Default 0.3. */
  missingExifScore: number;
  /** Default 0.5. */
  suspectScore: number;
}

export const DEFAULT_FRAUD_THRESHOLDS: Readonly<FraudThresholds> = Object.freeze({
  screenThreshold: 0.5,
  reuseMaxDistance: 24,
  maxGpsDistanceM: 150,
  maxExifAgeMs: 30 * 60_000,
  maxFutureSkewMs: 5 * 60_000,
  missingExifScore: 0.3,
  suspectScore: 0.5,
});

export const FRAUD_REASONS = [
  'screen_recapture',
  'photo_reused',
  'gps_far_from_vehicle',
  'exif_stale',
  'exif_time_in_future',
  'exif_missing',
] as const;
export type FraudReason = (typeof FRAUD_REASONS)[number];

export interface PhotoFraudInput {
  /** Screen model probability, 0–1. */
  screenScore: number;
  hash: PerceptualHash;
  knownHashes: ReadonlyArray<{ photoId: string; hash: PerceptualHash }>;
  takenAt: Date | null;
  gps: GeoPoint | null;
  /** ms since epoch. */
  returnAt: number;
  /** The vehicle's own reported position at return; null when unknown (no GPS check then). */
  vehiclePosition: GeoPoint | null;
}

export interface FraudFeatures {
  gpsDistanceM: number | null;
  exifAgeMs: number | null;
  reuseOf: string | null;
  reuseDistance: number | null;
  screenScore: number;
}

export interface FraudAssessment {
  score: number;
  suspected: boolean;
  reasons: FraudReason[];
  /** Per-signal scores, keyed as in the FraudDetected event. */
  scores: { screenRecapture: number; photoReuse: number; gpsMismatch: number; exifStale: number; exifMissing: number };
  features: FraudFeatures;
}

export function assessPhotoFraud(input: PhotoFraudInput, thresholds: FraudThresholds = DEFAULT_FRAUD_THRESHOLDS): FraudAssessment {
  const reasons: FraudReason[] = [];
  const screenScore = clamp01(input.screenScore);
  if (screenScore >= thresholds.screenThreshold) reasons.push('screen_recapture');

  const match = closestHash(input.hash, input.knownHashes, thresholds.reuseMaxDistance);
  if (match !== undefined) reasons.push('photo_reused');

  const gpsDistanceM = input.gps !== null && input.vehiclePosition !== null ? haversineM(input.gps, input.vehiclePosition) : null;
  const gpsMismatch = gpsDistanceM === null ? 0 : ramp(gpsDistanceM, thresholds.maxGpsDistanceM);
  if (gpsMismatch > 0) reasons.push('gps_far_from_vehicle');

  const exifAgeMs = input.takenAt === null ? null : input.returnAt - input.takenAt.getTime();
  let exifStale = 0;
  if (exifAgeMs !== null && exifAgeMs < -thresholds.maxFutureSkewMs) {
    exifStale = 1;
    reasons.push('exif_time_in_future');
  } else if (exifAgeMs !== null) {
    exifStale = ramp(exifAgeMs, thresholds.maxExifAgeMs);
    if (exifStale > 0) reasons.push('exif_stale');
  }

  const exifMissing = input.takenAt === null || input.gps === null ? thresholds.missingExifScore : 0;
  if (exifMissing > 0) reasons.push('exif_missing');

  const scores = { screenRecapture: calibrate(screenScore, thresholds.screenThreshold), photoReuse: match === undefined ? 0 : 1, gpsMismatch, exifStale, exifMissing };
  const score = Math.max(...Object.values(scores));
  return {
    score,
    suspected: score >= thresholds.suspectScore,
    reasons,
    scores,
    features: {
      gpsDistanceM,
      exifAgeMs,
      reuseOf: match?.photoId ?? null,
      reuseDistance: match?.distance ?? null,
      screenScore,
    },
  };
}

export type FraudSignalScores = FraudAssessment['scores'];

export interface ReturnFraud {
  score: number;
  suspected: boolean;
  reasons: FraudReason[];
  /** Each signal's highest score over the photos. */
  scores: FraudSignalScores;
}

/** A return is as suspicious as its most suspicious photo; reasons are the union, in list order. */
export function combinePhotoAssessments(assessments: readonly FraudAssessment[]): ReturnFraud {
  const seen = new Set(assessments.flatMap((a) => a.reasons));
  const scores: FraudSignalScores = { screenRecapture: 0, photoReuse: 0, gpsMismatch: 0, exifStale: 0, exifMissing: 0 };
  for (const a of assessments) {
    for (const key of Object.keys(scores) as Array<keyof FraudSignalScores>) scores[key] = Math.max(scores[key], a.scores[key]);
  }
  return {
    score: assessments.reduce((max, a) => Math.max(max, a.score), 0),
    suspected: assessments.some((a) => a.suspected),
    reasons: FRAUD_REASONS.filter((r) => seen.has(r)),
    scores,
  };
}

/** 0 at or below `limit`; past it 0.5 (enough to suspect), rising linearly to 1 at 4x `limit`. */
function ramp(value: number, limit: number): number {
  if (value <= limit) return 0;
  return 0.5 + 0.5 * Math.min(1, (value - limit) / (3 * limit));
}

/** Maps [0, threshold) to [0, 0.5) and [threshold, 1] to [0.5, 1], so the threshold is the suspect line. */
function calibrate(probability: number, threshold: number): number {
  if (probability < threshold) return (0.5 * probability) / threshold;
  return threshold >= 1 ? 1 : 0.5 + (0.5 * (probability - threshold)) / (1 - threshold);
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}
