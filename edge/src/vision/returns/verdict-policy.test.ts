import { describe, expect, it } from 'vitest';
import { assessDamage, assessReturn, checkParking, usablePosition, type PhotoScores } from './return-assessment.js';
import { assessPhotoFraud, DEFAULT_FRAUD_THRESHOLDS } from '../fraud/fraud-features.js';
import { decideVerdict, DEFAULT_VERDICT_POLICY, type VerdictInput } from './verdict-policy.js';

const clean: VerdictInput = { damageFound: false, fraud: { score: 0.05, suspected: false, reasons: [] }, parking: 'inside' };

describe('decideVerdict', () => {
  it('accepts a clean return with no reasons, even with EXIF missing', () => {
    expect(decideVerdict(clean)).toEqual({ verdict: 'accepted', reasons: [] });
    expect(decideVerdict({ ...clean, fraud: { score: 0.3, suspected: false, reasons: ['exif_missing'] } })).toEqual({ verdict: 'accepted', reasons: [] });
  });

  it('sends damage, suspected fraud and every parking problem to review', () => {
    expect(decideVerdict({ ...clean, damageFound: true })).toEqual({ verdict: 'review', reasons: ['damage_found'] });
    expect(decideVerdict({ ...clean, fraud: { score: 0.6, suspected: true, reasons: ['gps_far_from_vehicle', 'exif_missing'] } }))
      .toEqual({ verdict: 'review', reasons: ['gps_far_from_vehicle', 'exif_missing'] });
    expect(decideVerdict({ ...clean, parking: 'outside' }).reasons).toEqual(['parked_outside_return_area']);
    expect(decideVerdict({ ...clean, parking: 'position_unknown' }).verdict).toBe('review');
    expect(decideVerdict({ ...clean, parking: 'position_stale' }).reasons).toEqual(['vehicle_position_stale']);
  });

  it('rejects from the reject score on, listing every reason in a fixed order', () => {
    const decision = decideVerdict({ damageFound: true, fraud: { score: 1, suspected: true, reasons: ['photo_reused'] }, parking: 'outside' });
    expect(decision).toEqual({ verdict: 'rejected', reasons: ['photo_reused', 'damage_found', 'parked_outside_return_area'] });
    expect(decideVerdict({ ...clean, fraud: { score: 0.89, suspected: true, reasons: ['exif_stale'] } }).verdict).toBe('review');
    expect(decideVerdict({ ...clean, fraud: { score: 0.89, suspected: true, reasons: ['exif_stale'] } }, { rejectFraudScore: 0.8 }).verdict).toBe('rejected');
    expect(DEFAULT_VERDICT_POLICY.rejectFraudScore).toBe(0.9);
  });
});

describe('return assessment', () => {
  const returnAt = Date.parse('2026-01-15T12:00:00Z');
  const bay = { id: 'bay-a', kind: 'circle' as const, center: { lat: 52.52, lon: 13.405 }, radiusM: 50 };
  const thresholds = { damage: { photo: 0.45, classes: { scratch: 0.5, dent: 0.35, crack: 0.65 } }, verdict: DEFAULT_VERDICT_POLICY };
  /** A 2 x 2 grid, hottest in the given cell. */
  const grid = (hot: number) => ({ rows: 2, cols: 2, cells: [0, 1, 2, 3].map((i) => (i === hot ? 0.9 : 0.1)) });
  const photo = (probability: number, classes = { scratch: 0.1, dent: 0.1, crack: 0.1 }, screenScore = 0.02): PhotoScores => ({
    damage: { probability, classes, location: grid(0) },
    fraud: assessPhotoFraud({
      screenScore, hash: '0123456789abcdef'.repeat(4), knownHashes: [], takenAt: new Date(returnAt - 60_000),
      gps: bay.center, returnAt, vehiclePosition: bay.center,
    }, DEFAULT_FRAUD_THRESHOLDS),
  });

  it('names damage by class per photo at each class threshold, generic when no class is sure, with where it is', () => {
    const result = assessDamage([
      { probability: 0.1, classes: { scratch: 0.9, dent: 0, crack: 0 }, location: grid(0) },
      { probability: 0.8, classes: { scratch: 0.7, dent: 0.4, crack: 0.6 }, location: grid(3) },
      { probability: 0.5, classes: { scratch: 0.3, dent: 0.3, crack: 0.3 }, location: grid(1) },
    ], thresholds.damage);
    expect(result.found).toBe(true);
    expect(result.score).toBe(0.8);
    const bottomRight = { x: 0.5, y: 0.5, w: 0.5, h: 0.5 };
    expect(result.findings).toEqual([
      { label: 'scratch', confidence: 0.7, photo: 1, box: bottomRight },
      { label: 'dent', confidence: 0.4, photo: 1, box: bottomRight },
      { label: 'damage', confidence: 0.5, photo: 2, box: { x: 0.5, y: 0, w: 0.5, h: 0.5 } },
    ]);
    expect(result.locations).toEqual([{ photo: 1, ...grid(3) }, { photo: 2, ...grid(1) }]);
  });

  it('checks parking against the areas with a fresh position only', () => {
    const fresh = { point: bay.center, reportedAt: returnAt - 60_000 };
    expect(checkParking(fresh, returnAt, [bay], 600_000)).toEqual({ state: 'inside', areaId: 'bay-a', positionAgeMs: 60_000 });
    expect(checkParking({ ...fresh, point: { lat: 52.53, lon: 13.405 } }, returnAt, [bay], 600_000).state).toBe('outside');
    expect(checkParking({ ...fresh, reportedAt: returnAt - 3_600_000 }, returnAt, [bay], 600_000)).toEqual({ state: 'position_stale', areaId: null, positionAgeMs: 3_600_000 });
    expect(checkParking(undefined, returnAt, [bay], 600_000).state).toBe('position_unknown');
    expect(usablePosition({ ...fresh, reportedAt: returnAt - 3_600_000 }, returnAt, 600_000)).toBeNull();
    expect(usablePosition(fresh, returnAt, 600_000)).toBe(fresh);
  });

  it('combines photos into one verdict', () => {
    const parking = checkParking({ point: bay.center, reportedAt: returnAt }, returnAt, [bay], 600_000);
    expect(assessReturn([photo(0.1), photo(0.2)], parking, thresholds)).toMatchObject({ verdict: 'accepted', reasons: [], damage: { found: false } });
    const screen = assessReturn([photo(0.1), photo(0.2, undefined, 0.99)], parking, thresholds);
    expect(screen).toMatchObject({ verdict: 'rejected', reasons: ['screen_recapture'], fraud: { suspected: true } });
    expect(screen.fraud.scores.screenRecapture).toBeCloseTo(0.99, 6);
  });
});
