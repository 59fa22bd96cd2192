import { describe, expect, it } from 'vitest';
import { assessPhotoFraud, combinePhotoAssessments, DEFAULT_FRAUD_THRESHOLDS, type PhotoFraudInput } from './fraud-features.js';

const returnAt = Date.parse('2026-01-15T12:00:00Z');
const HASH = '0123456789abcdef'.repeat(4);
/** HASH with its last `n` bits flipped. */
const flipped = (n: number): string => (BigInt(`0x${HASH}`) ^ ((1n << BigInt(n)) - 1n)).toString(16).padStart(64, '0');
const vehicle = { lat: 52.52, lon: 13.405 };
const northOf = (metres: number) => ({ lat: vehicle.lat + metres / 111_195, lon: vehicle.lon });

const genuine: PhotoFraudInput = {
  screenScore: 0.05,
  hash: HASH,
  knownHashes: [{ photoId: 'old-1', hash: 'fedcba9876543210'.repeat(4) }],
  takenAt: new Date(returnAt - 2 * 60_000),
  gps: northOf(20),
  returnAt,
  vehiclePosition: vehicle,
};

describe('assessPhotoFraud', () => {
  it('clears a genuine photo and reports its features', () => {
    const a = assessPhotoFraud(genuine);
    expect(a.reasons).toEqual([]);
    expect(a.suspected).toBe(false);
    expect(a.score).toBeCloseTo(0.05, 6);
    expect(a.features.gpsDistanceM).toBeCloseTo(20, 0);
    expect(a.features.exifAgeMs).toBe(120_000);
    expect(a.features.reuseOf).toBeNull();
  });

  it('flags a screen recapture at the threshold, with the model score as the signal', () => {
    const a = assessPhotoFraud({ ...genuine, screenScore: 0.93 });
    expect(a.reasons).toEqual(['screen_recapture']);
    expect(a.scores.screenRecapture).toBeCloseTo(0.93, 6);
    expect(a.suspected).toBe(true);
    expect(assessPhotoFraud({ ...genuine, screenScore: 0.49 }).reasons).toEqual([]);
  });

  it("puts the screen model's own threshold on the suspect line", () => {
    const card = { ...DEFAULT_FRAUD_THRESHOLDS, screenThreshold: 0.35 };
    const atThreshold = assessPhotoFraud({ ...genuine, screenScore: 0.35 }, card);
    expect(atThreshold.reasons).toEqual(['screen_recapture']);
    expect(atThreshold.scores.screenRecapture).toBeCloseTo(0.5, 6);
    expect(atThreshold.suspected).toBe(true);
    expect(atThreshold.features.screenScore).toBeCloseTo(0.35, 6);
    const below = assessPhotoFraud({ ...genuine, screenScore: 0.3 }, card);
    expect(below.suspected).toBe(false);
    expect(below.scores.screenRecapture).toBeCloseTo(0.3 * 0.5 / 0.35, 6);
    expect(assessPhotoFraud({ ...genuine, screenScore: 1 }, card).scores.screenRecapture).toBe(1);
  });

  it('flags a re-used photo within the Hamming limit and names the original', () => {
    const a = assessPhotoFraud({ ...genuine, knownHashes: [...genuine.knownHashes, { photoId: 'old-2', hash: flipped(20) }] });
    expect(a.reasons).toEqual(['photo_reused']);
    expect(a.features).toMatchObject({ reuseOf: 'old-2', reuseDistance: 20 });
    expect(a.score).toBe(1);
    // 25 bits away is past the default limit of 24 (of 256).
    expect(assessPhotoFraud({ ...genuine, knownHashes: [{ photoId: 'x', hash: flipped(25) }] }).reasons).toEqual([]);
  });

  it('scores GPS distance: clear at 150 m, 0.5 just past, 1 at 600 m and beyond', () => {
    expect(assessPhotoFraud({ ...genuine, gps: northOf(140) }).scores.gpsMismatch).toBe(0);
    const near = assessPhotoFraud({ ...genuine, gps: northOf(160) });
    expect(near.reasons).toEqual(['gps_far_from_vehicle']);
    expect(near.scores.gpsMismatch).toBeGreaterThanOrEqual(0.5);
    expect(near.scores.gpsMismatch).toBeLessThan(0.52);
    expect(assessPhotoFraud({ ...genuine, gps: northOf(5_000) }).scores.gpsMismatch).toBe(1);
  });

  it('skips the GPS check when the vehicle position is unknown', () => {
    const a = assessPhotoFraud({ ...genuine, gps: northOf(5_000), vehiclePosition: null });
    expect(a.features.gpsDistanceM).toBeNull();
    expect(a.reasons).toEqual([]);
  });

  it('flags a stale capture time and one in the future', () => {
    const stale = assessPhotoFraud({ ...genuine, takenAt: new Date(returnAt - 3 * 3_600_000) });
    expect(stale.reasons).toEqual(['exif_stale']);
    expect(stale.scores.exifStale).toBe(1);
    expect(assessPhotoFraud({ ...genuine, takenAt: new Date(returnAt - 29 * 60_000) }).reasons).toEqual([]);
    const future = assessPhotoFraud({ ...genuine, takenAt: new Date(returnAt + 10 * 60_000) });
    expect(future.reasons).toEqual(['exif_time_in_future']);
    expect(assessPhotoFraud({ ...genuine, takenAt: new Date(returnAt + 60_000) }).reasons).toEqual([]);
  });

  it('treats missing EXIF as weak evidence: a reason, not a suspicion', () => {
    const a = assessPhotoFraud({ ...genuine, takenAt: null, gps: null });
    expect(a.reasons).toEqual(['exif_missing']);
    expect(a.score).toBe(DEFAULT_FRAUD_THRESHOLDS.missingExifScore);
    expect(a.suspected).toBe(false);
  });

  it('lists several reasons in the fixed order and honours custom thresholds', () => {
    const a = assessPhotoFraud({ ...genuine, screenScore: 0.8, gps: northOf(1_000), takenAt: new Date(returnAt - 86_400_000) });
    expect(a.reasons).toEqual(['screen_recapture', 'gps_far_from_vehicle', 'exif_stale']);
    const lenient = assessPhotoFraud({ ...genuine, gps: northOf(1_000) }, { ...DEFAULT_FRAUD_THRESHOLDS, maxGpsDistanceM: 2_000 });
    expect(lenient.reasons).toEqual([]);
  });
});

describe('combinePhotoAssessments', () => {
  it('takes the worst photo and the union of reasons', () => {
    const combined = combinePhotoAssessments([
      assessPhotoFraud(genuine),
      assessPhotoFraud({ ...genuine, takenAt: null, gps: null }),
      assessPhotoFraud({ ...genuine, screenScore: 0.7 }),
    ]);
    expect(combined.reasons).toEqual(['screen_recapture', 'exif_missing']);
    expect(combined.score).toBeCloseTo(0.7, 6);
    expect(combined.suspected).toBe(true);
    expect(combined.scores.screenRecapture).toBeCloseTo(0.7, 6);
    expect(combined.scores).toMatchObject({ exifMissing: DEFAULT_FRAUD_THRESHOLDS.missingExifScore, photoReuse: 0 });
    expect(combinePhotoAssessments([])).toEqual({
      score: 0, suspected: false, reasons: [], scores: { screenRecapture: 0, photoReuse: 0, gpsMismatch: 0, exifStale: 0, exifMissing: 0 },
    });
  });
});
