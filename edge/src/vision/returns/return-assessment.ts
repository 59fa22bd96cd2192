/**
 * From per-photo model scores and fraud features to the assessment of a whole return: damage
 * score and findings, the combined fraud result, the parking check and the verdict. Pure; the
 * verification stage (return-verification.ts) gathers the inputs and acts on the result.
 *
 * Damage: the return's score is its worst photo's damage probability; a photo at or above the
 * model card's threshold yields one finding per damage class scoring at or above that class's
 * threshold from the card (the class scores are independent sigmoids), or a generic `damage`
 * finding when no class does. Each finding carries the box of the photo's hottest location
 * cell, and the photo's whole location grid goes with the result, so a reviewer sees where.
 * Parking: the vehicle's last reported position, if it is no older than maxPositionAgeMs at
 * the return, must lie inside one of the site's return areas.
 */
import { combinePhotoAssessments, type FraudAssessment, type ReturnFraud } from '../fraud/fraud-features.js';
import { findReturnArea, type GeoPoint, type ReturnArea } from './geofence.js';
import { decideVerdict, type ParkingState, type VerdictDecision, type VerdictPolicy } from './verdict-policy.js';
import type { DamageClass, DamageLocation, DamageScores } from '../models/models.js';

export interface PhotoScores {
  damage: DamageScores;
  fraud: FraudAssessment;
}

export interface DamageThresholds {
  /** damage_probability at or above which a photo shows damage (model-card.json). */
  photo: number;
  /** A class score at or above its threshold names that kind of damage (model-card.json). */
  classes: Record<DamageClass, number>;
}

/** A region of a photo, as fractions (0–1) of its upright width and height. */
export interface PhotoBox { x: number; y: number; w: number; h: number }

export interface DamageFinding {
  label: DamageClass | 'damage';
  confidence: number;
  /** Index of the photo within the return. */
  photo: number;
  /** The photo's hottest location cell. */
  box: PhotoBox;
}

/** The location grid of a photo where damage was found. */
export interface PhotoDamageLocation extends DamageLocation {
  photo: number;
}

export interface DamageResult {
  score: number;
  found: boolean;
  findings: DamageFinding[];
  locations: PhotoDamageLocation[];
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
  const locations: PhotoDamageLocation[] = [];
  let score = 0;
  photos.forEach((damage, photo) => {
    score = Math.max(score, damage.probability);
    if (damage.probability < thresholds.photo) return;
    const box = hottestCell(damage.location);
    locations.push({ photo, ...damage.location });
    const classes = (Object.entries(damage.classes) as Array<[DamageClass, number]>).filter(([kind, s]) => s >= thresholds.classes[kind]);
    if (classes.length === 0) findings.push({ label: 'damage', confidence: damage.probability, photo, box });
    for (const [label, confidence] of classes) findings.push({ label, confidence, photo, box });
  });
  return { score, found: locations.length > 0, findings: findings.slice(0, MAX_FINDINGS), locations };
}

/** The box of the cell with the highest probability (the first, on a tie). */
export function hottestCell(location: DamageLocation): PhotoBox {
  let best = 0;
  location.cells.forEach((p, i) => {
    if (p > (location.cells[best] as number)) best = i;
  });
  const row = Math.floor(best / location.cols);
  const col = best % location.cols;
  return { x: col / location.cols, y: row / location.rows, w: 1 / location.cols, h: 1 / location.rows };
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
