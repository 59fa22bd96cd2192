/**
 * What the renter photographs at the end of a trip — a pure plan, drawn from the app's seeded
 * random stream: one photo per side of the car, taken a little before the upload at the place
 * the car was left. Some returns show damage, and a few try a fraud the edge should catch:
 * a photo re-used from an earlier return, a photo of a screen, or photos taken elsewhere.
 */
import { DAMAGE_KINDS, type DamageKind, type GpsPoint } from '../photos/photo-spec.js';
import type { Random } from '../random/random.js';

export const RETURN_INTENTS = ['genuine', 'damaged', 'reused_photo', 'screen_photo', 'taken_elsewhere'] as const;
export type ReturnIntent = (typeof RETURN_INTENTS)[number];

export interface ReturnRates {
  /** Share of returns with damage on one side. */
  damage: number;
  /** Share of returns that try one of the frauds. */
  fraud: number;
}

export interface PlannedPhoto {
  seed: number;
  takenAt: Date;
  gps: GpsPoint;
  damage?: DamageKind[];
  screen?: boolean;
  /** Upload the bytes of an earlier return's photo instead of rendering one. */
  reuse?: boolean;
}

export interface ReturnPlan {
  intent: ReturnIntent;
  photos: PlannedPhoto[];
}

const FRAUDS = ['reused_photo', 'screen_photo', 'taken_elsewhere'] as const satisfies readonly ReturnIntent[];

/** Metres per degree of latitude; good enough to move a point a few km. */
const M_PER_DEG = 111_320;

export function planReturn(rng: Random, at: { position: GpsPoint; now: number }, photoCount: number, rates: ReturnRates): ReturnPlan {
  const draw = rng.next();
  const intent: ReturnIntent = draw < rates.fraud ? rng.pick(FRAUDS) : draw < rates.fraud + rates.damage ? 'damaged' : 'genuine';
  const takenAt = new Date(at.now - rng.int(20_000, 120_000));
  const gps = intent === 'taken_elsewhere' ? { lat: at.position.lat + 3_000 / M_PER_DEG, lon: at.position.lon } : at.position;
  const damagedSide = rng.int(0, photoCount - 1);
  const photos = Array.from({ length: photoCount }, (_, side): PlannedPhoto => {
    const photo: PlannedPhoto = { seed: rng.int(1, 2 ** 31 - 1), takenAt, gps };
    if (intent === 'damaged' && side === damagedSide) photo.damage = [rng.pick(DAMAGE_KINDS), rng.pick(DAMAGE_KINDS)];
    if (intent === 'screen_photo' && side === damagedSide) photo.screen = true;
    if (intent === 'reused_photo' && side === damagedSide) photo.reuse = true;
    return photo;
  });
  return { intent, photos };
}
