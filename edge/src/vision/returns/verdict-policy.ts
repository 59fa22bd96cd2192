/**
 * The verdict on a return, as a pure function of what the models and checks found. The models
 * are trained on synthetic photos (edge/models/MODEL_CARD.md, "Limits"), so a verdict routes a
 * return — it never charges a customer by itself:
 *
 *   rejected  fraud score >= rejectFraudScore (default 0.9): evidence strong enough that the
 *             photos cannot stand for the car's condition — a re-used photo (score 1), a screen
 *             recapture the screen model is sure of, a photo taken ~3.4x the GPS limit away or
 *             ~3.4x the age limit before the return, or time-stamped after it.
 *   review    fraud suspected (score >= 0.5, see fraud-features.ts), damage found (any photo at
 *             or above the damage model's threshold from model-card.json), the vehicle parked
 *             outside every return area, or its position unknown or stale.
 *   accepted  none of the above. Missing EXIF alone (score 0.3) is noted, not held against it.
 *
 * `reasons` lists what drove the verdict (empty when accepted), in a fixed order.
 */
import { FRAUD_REASONS, type ReturnFraud } from '../fraud/fraud-features.js';

export const VERDICTS = ['accepted', 'review', 'rejected'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VERDICT_REASONS = [
  ...FRAUD_REASONS,
  'damage_found',
  'parked_outside_return_area',
  'vehicle_position_unknown',
  'vehicle_position_stale',
] as const;
export type VerdictReason = (typeof VERDICT_REASONS)[number];

export type ParkingState = 'inside' | 'outside' | 'position_unknown' | 'position_stale';

export interface VerdictInput {
  damageFound: boolean;
  fraud: Pick<ReturnFraud, 'score' | 'suspected' | 'reasons'>;
  parking: ParkingState;
}

export interface VerdictPolicy {
  /** Fraud score from which a return is rejected outright. Default 0.9. */
  rejectFraudScore: number;
}

export const DEFAULT_VERDICT_POLICY: Readonly<VerdictPolicy> = Object.freeze({ rejectFraudScore: 0.9 });

export interface VerdictDecision {
  verdict: Verdict;
  reasons: VerdictReason[];
}

const PARKING_REASONS: Record<ParkingState, VerdictReason | undefined> = {
  inside: undefined,
  outside: 'parked_outside_return_area',
  position_unknown: 'vehicle_position_unknown',
  position_stale: 'vehicle_position_stale',
};

export function decideVerdict(input: VerdictInput, policy: VerdictPolicy = DEFAULT_VERDICT_POLICY): VerdictDecision {
  const found = new Set<VerdictReason>(input.fraud.suspected ? input.fraud.reasons : []);
  if (input.damageFound) found.add('damage_found');
  const parking = PARKING_REASONS[input.parking];
  if (parking !== undefined) found.add(parking);
  const reasons = VERDICT_REASONS.filter((reason) => found.has(reason));
  if (input.fraud.score >= policy.rejectFraudScore) return { verdict: 'rejected', reasons };
  return { verdict: reasons.length > 0 ? 'review' : 'accepted', reasons };
}
