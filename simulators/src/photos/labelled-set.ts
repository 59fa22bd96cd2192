/**
 * A labelled set of return photos for training and quality tests: damage and screen photos at
 * chosen rates, EXIF that is genuine (taken minutes before the return, metres from the vehicle)
 * or fraudulent (far away, hours old, missing), and re-used earlier photos re-encoded.
 * Photo `i` of a set depends only on (seed, i), so a set is reproducible and can be streamed.
 */
import sharp from 'sharp';
import { HOUR_MS, MINUTE_MS } from '@fleetwire/protocol';
import { createRandom, deriveSeed, type Random } from '../random/random.js';
import { SimulatorError } from '../errors.js';
import { generatePhoto } from './generate-photo.js';
import { buildExif } from './photo-exif.js';
import { DAMAGE_KINDS, type GpsPoint, type PhotoExifSpec, type PhotoLabels, type PhotoOrientation } from './photo-spec.js';

export interface LabelledSetOptions {
  seed: number;
  count: number;
  /** Share of photos with damage (1–3 marks). Default 0.5. */
  damageRate?: number;
  /** Share of photos of a screen. Default 0.25. */
  screenRate?: number;
  /** Share whose EXIF GPS is 2–50 km from the vehicle. Default 0.1. */
  farGpsRate?: number;
  /** Share whose EXIF time is 2–72 h before the return. Default 0.1. */
  staleTimeRate?: number;
  /** Share without any EXIF. Default 0.05. */
  missingExifRate?: number;
  /** Share stored rotated with an EXIF orientation of 3, 6 or 8. Default 0.1. */
  rotatedRate?: number;
  /** Share that re-uses an earlier photo of the set, re-encoded. Default 0. */
  reuseRate?: number;
  /** Default 2026-01-15T12:00:00Z. */
  returnAt?: Date;
  /** Default Berlin Mitte (52.52, 13.405). */
  vehiclePosition?: GpsPoint;
  width?: number;
  height?: number;
}

export interface LabelledPhoto {
  id: string;
  jpeg: Buffer;
  labels: PhotoLabels & {
    id: string;
    fraud: { screen: boolean; farGps: boolean; staleTime: boolean; missingExif: boolean; reuseOf: string | null };
  };
}

export async function generateLabelledSet(options: LabelledSetOptions): Promise<LabelledPhoto[]> {
  const photos: LabelledPhoto[] = [];
  for await (const photo of labelledPhotos(options)) photos.push(photo);
  return photos;
}

export async function* labelledPhotos(options: LabelledSetOptions): AsyncGenerator<LabelledPhoto> {
  const o = validate(options);
  const made: LabelledPhoto[] = [];
  for (let i = 0; i < o.count; i++) {
    const random = createRandom(deriveSeed(o.seed, `photo-${i}`));
    const id = `ph-${o.seed}-${String(i).padStart(5, '0')}`;
    const fraud = {
      screen: random.chance(o.screenRate),
      farGps: random.chance(o.farGpsRate),
      staleTime: random.chance(o.staleTimeRate),
      missingExif: random.chance(o.missingExifRate),
      reuseOf: null as string | null,
    };
    const exif = fraud.missingExif ? undefined : exifFor(random, o, fraud.farGps, fraud.staleTime);
    if (fraud.missingExif) {
      fraud.farGps = false;
      fraud.staleTime = false;
    }
    const earlier = made.length > 0 && random.chance(o.reuseRate) ? random.pick(made) : undefined;
    const photo = earlier !== undefined
      ? await reuse(random, earlier, id, exif, fraud)
      : await fresh(random, o, id, exif, fraud);
    if (o.reuseRate > 0) made.push(photo);
    yield photo;
  }
}

type Fraud = LabelledPhoto['labels']['fraud'];

async function fresh(random: Random, o: Required<LabelledSetOptions>, id: string, exif: PhotoExifSpec | undefined, fraud: Fraud): Promise<LabelledPhoto> {
  const damage = random.chance(o.damageRate)
    ? Array.from({ length: random.int(1, 3) }, () => random.pick(DAMAGE_KINDS))
    : [];
  const { jpeg, labels } = await generatePhoto({
    seed: deriveSeed(o.seed, id), width: o.width, height: o.height, damage, screen: fraud.screen,
    ...(exif === undefined ? {} : { exif }),
  });
  return { id, jpeg, labels: { ...labels, id, fraud } };
}

/** The same scene re-encoded at another quality and brightness, with fresh (plausible) EXIF. */
async function reuse(random: Random, earlier: LabelledPhoto, id: string, exif: PhotoExifSpec | undefined, fraud: Fraud): Promise<LabelledPhoto> {
  let pipeline = sharp(earlier.jpeg).rotate().modulate({ brightness: random.range(0.92, 1.08) }).jpeg({ quality: random.int(70, 90) });
  if (exif !== undefined) pipeline = pipeline.withExif(buildExif(exif.takenAt, exif.gps));
  const jpeg = await pipeline.toBuffer();
  const base = earlier.labels;
  return {
    id,
    jpeg,
    labels: {
      ...base,
      id,
      exif: exif === undefined ? null : {
        ...(exif.takenAt === undefined ? {} : { takenAt: exif.takenAt.toISOString() }),
        ...(exif.gps === undefined ? {} : { gps: exif.gps }),
        orientation: 1,
      },
      fraud: { ...fraud, screen: base.fraud.screen, reuseOf: base.fraud.reuseOf ?? earlier.id },
    },
  };
}

function exifFor(random: Random, o: Required<LabelledSetOptions>, far: boolean, stale: boolean): PhotoExifSpec {
  const ageMs = stale ? random.range(2, 72) * HOUR_MS : random.range(0, 10) * MINUTE_MS;
  const distanceM = far ? random.range(2_000, 50_000) : random.range(0, 30);
  const bearing = random.range(0, 2 * Math.PI);
  const orientation: PhotoOrientation = random.chance(o.rotatedRate) ? random.pick([3, 6, 8] as const) : 1;
  return {
    takenAt: new Date(o.returnAt.getTime() - ageMs),
    gps: offset(o.vehiclePosition, distanceM, bearing),
    orientation,
  };
}

/** A point `distanceM` away on the given bearing (equirectangular: fine below 100 km). */
function offset(origin: GpsPoint, distanceM: number, bearing: number): GpsPoint {
  const dLat = (distanceM * Math.cos(bearing)) / 111_320;
  const dLon = (distanceM * Math.sin(bearing)) / (111_320 * Math.cos((origin.lat * Math.PI) / 180));
  return { lat: origin.lat + dLat, lon: origin.lon + dLon };
}

function validate(options: LabelledSetOptions): Required<LabelledSetOptions> {
  const o: Required<LabelledSetOptions> = {
    damageRate: 0.5, screenRate: 0.25, farGpsRate: 0.1, staleTimeRate: 0.1, missingExifRate: 0.05,
    rotatedRate: 0.1, reuseRate: 0, returnAt: new Date('2026-01-15T12:00:00Z'),
    vehiclePosition: { lat: 52.52, lon: 13.405 }, width: 256, height: 192,
    ...options,
  };
  if (!Number.isInteger(o.count) || o.count < 0) {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `count must be a non-negative integer, got ${o.count}`);
  }
  for (const key of ['damageRate', 'screenRate', 'farGpsRate', 'staleTimeRate', 'missingExifRate', 'rotatedRate', 'reuseRate'] as const) {
    if (!(o[key] >= 0 && o[key] <= 1)) throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `${key} must be in [0, 1], got ${o[key]}`);
  }
  return o;
}
