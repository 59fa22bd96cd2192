/**
 * From per-photo model scores and fraud features to the assessment of a whole return: damage
 * score and findings, the combined fraud result, the parking check and the verdict. Pure; the
 * verification stage (return-verification.ts) gathers the inputs and acts on the result.
 *
 * Damage: the return's score is its worst photo's damage probability; a photo at or above the
 * model card's threshold yields one finding per damage class scoring >= classThreshold (the
 * class scores are independent sigmoids), or a generic `damage` finding when no class does.
 * Parking: the vehicle's last reported position, if it is no older than maxPositionAgeMs at
 * the return, must lie inside one of the site's return areas.
 */
import { combinePhotoAssessments, type FraudAssessment, type ReturnFraud } from '../fraud/fraud-features.js';
import { findReturnArea, type GeoPoint, type ReturnArea } from './geofence.js';
import { decideVerdict, type ParkingState, type VerdictDecision, type VerdictPolicy } from './verdict-policy.js';
import type { DamageClass, DamageScores } from '../models/models.js';

export interface PhotoScores {
  damage: DamageScores;
  fraud: FraudAssessment;
}

export interface DamageThresholds {
  /** damage_probability at or above which a photo shows damage (model-card.json). */
  photo: number;
  /** A class score at or above this names the kind of damage. Default 0.5. */
  class: number;
}

export interface DamageFinding {
  label: DamageClass | 'damage';
  confidence: number;
  /** Index of the photo within the return. */
  photo: number;
}

export interface DamageResult {
  score: number;
  found: boolean;
  findings: DamageFinding[];
}

export interface VehiclePosition {
  point: GeoPoint;
  /** When the vehicle reported it (device time), ms since epoch. */
  reportedAt: number;
}

export interface ParkingCheck {
  state: ParkingState;
  /** The return area the vehicle stands in, when inside one. */
  areaId: string | null;
  /** Age of the position at the return, ms; null when there is none. */
  positionAgeMs: number | null;
}

export interface ReturnAssessment extends VerdictDecision {
  /** The inputs, per photo in upload order. */
  photos: readonly PhotoScores[];
  damage: DamageResult;
  fraud: ReturnFraud;
  parking: ParkingCheck;
}

/** The event schema allows at most 64 findings. */
const MAX_FINDINGS = 64;

export function assessDamage(photos: readonly DamageScores[], thresholds: DamageThresholds): DamageResult {
  const findings: DamageFinding[] = [];
  let score = 0;
  photos.forEach((damage, photo) => {
    score = Math.max(score, damage.probability);
    if (damage.probability < thresholds.photo) return;
    const classes = (Object.entries(damage.classes) as Array<[DamageClass, number]>).filter(([, s]) => s >= thresholds.class);
    if (classes.length === 0) findings.push({ label: 'damage', confidence: damage.probability, photo });
    for (const [label, confidence] of classes) findings.push({ label, confidence, photo });
  });
  return { score, found: photos.some((d) => d.probability >= thresholds.photo), findings: findings.slice(0, MAX_FINDINGS) };
}

/** The position the checks may rely on: known and fresh at the return, else null. */
export function usablePosition(position: VehiclePosition | undefined, returnAt: number, maxAgeMs: number): VehiclePosition | null {
  if (position === undefined) return null;
  return returnAt - position.reportedAt <= maxAgeMs ? position : null;
}

export function checkParking(
  position: VehiclePosition | undefined,
  returnAt: number,
  areas: readonly ReturnArea[],
  maxAgeMs: number,
): ParkingCheck {
  if (position === undefined) return { state: 'position_unknown', areaId: null, positionAgeMs: null };
  const positionAgeMs = Math.max(0, returnAt - position.reportedAt);
  if (usablePosition(position, returnAt, maxAgeMs) === null) return { state: 'position_stale', areaId: null, positionAgeMs };
  const area = findReturnArea(position.point, areas);
  return { state: area ? 'inside' : 'outside', areaId: area?.id ?? null, positionAgeMs };
}

export function assessReturn(
  photos: readonly PhotoScores[],
  parking: ParkingCheck,
  thresholds: { damage: DamageThresholds; verdict: VerdictPolicy },
): ReturnAssessment {
  const damage = assessDamage(photos.map((p) => p.damage), thresholds.damage);
  const fraud = combinePhotoAssessments(photos.map((p) => p.fraud));
  const decision = decideVerdict({ damageFound: damage.found, fraud, parking: parking.state }, thresholds.verdict);
  return { ...decision, photos, damage, fraud, parking };
}
