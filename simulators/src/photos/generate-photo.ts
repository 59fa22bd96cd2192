/**
 * Renders one synthetic return photo: compose the SVG (scene + damage), rasterise it with sharp,
 * apply camera and screen effects on the raw pixels, then encode a JPEG with the requested EXIF
 * and orientation. Deterministic: the same spec gives the same bytes.
 */
import sharp from 'sharp';
import { createRandom, deriveSeed } from '../random/random.js';
import { SimulatorError } from '../errors.js';
import { composeCarScene, poseTransform, toImage } from './car-scene.js';
import { drawDamage } from './damage-marks.js';
import { buildExif } from './photo-exif.js';
import { applyCamera, applyScreen, pickScreenLook, type RawImage } from './pixel-effects.js';
import type { DamageKind, DamageRegion, GeneratedPhoto, PhotoLabels, PhotoOrientation, PhotoSpec } from './photo-spec.js';

/** Rotation (clockwise degrees) applied to upright pixels so a viewer honouring the tag undoes it. */
const STORED_ROTATION: Record<PhotoOrientation, number> = { 1: 0, 3: 180, 6: 270, 8: 90 };

export async function generatePhoto(spec: PhotoSpec): Promise<GeneratedPhoto> {
  const width = spec.width ?? 256;
  const height = spec.height ?? 192;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 64 || height < 48 || width > 4096 || height > 4096) {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `photo size ${width}x${height} outside 64x48..4096x4096`);
  }
  const orientation = spec.exif?.orientation ?? 1;
  if (!(orientation in STORED_ROTATION)) {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `unsupported EXIF orientation ${String(orientation)}`);
  }
  // Separate streams so adding damage to a spec does not move the car or change its light.
  const sceneRandom = createRandom(deriveSeed(spec.seed, 'scene'));
  const damageRandom = createRandom(deriveSeed(spec.seed, 'damage'));
  const effectRandom = createRandom(deriveSeed(spec.seed, 'effects'));

  const scene = composeCarScene(sceneRandom, width, height);
  const damage = spec.damage ?? [];
  const marks = damage.map((kind, i) => drawDamage(damageRandom, kind, scene.geometry, scene.bodyLuminance, i));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
    + scene.background
    + `<g transform="${poseTransform(scene.pose)}">${scene.carBody}${marks.map((m) => m.svg).join('')}</g></svg>`;

  const raster = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image: RawImage = { data: new Uint8Array(raster.data.buffer, raster.data.byteOffset, raster.data.length), width, height };
  applyCamera(effectRandom, image);
  const screen = spec.screen ?? false;
  if (screen) applyScreen(effectRandom, image, pickScreenLook(effectRandom));
  const blur = effectRandom.chance(0.35) ? effectRandom.range(0.35, 0.8) : 0;
  const quality = spec.quality ?? effectRandom.int(78, 92);

  let pipeline = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), { raw: { width, height, channels: 3 } });
  if (blur > 0) pipeline = pipeline.blur(blur);
  // Blur must happen before the rotation, so the two run as separate passes.
  const upright = await pipeline.png().toBuffer();
  let output = sharp(upright).rotate(STORED_ROTATION[orientation]).jpeg({ quality });
  if (spec.exif !== undefined) {
    output = output.withExif(buildExif(spec.exif.takenAt, spec.exif.gps)).withMetadata({ orientation });
  }
  const jpeg = await output.toBuffer();

  const regions: DamageRegion[] = marks.map((m) => ({ kind: m.kind, box: boundingBox(m.extent.map((p) => toImage(scene.pose, p.x, p.y)), width, height) }));
  const labels: PhotoLabels = {
    seed: spec.seed,
    width,
    height,
    damaged: damage.length > 0,
    damage: countKinds(damage),
    regions,
    screen,
    bodyColour: scene.bodyColour,
    side: scene.pose.mirror === 1 ? 'right' : 'left',
    exif: spec.exif === undefined ? null : {
      ...(spec.exif.takenAt === undefined ? {} : { takenAt: spec.exif.takenAt.toISOString() }),
      ...(spec.exif.gps === undefined ? {} : { gps: { ...spec.exif.gps } }),
      orientation,
    },
  };
  return { jpeg, labels };
}

function countKinds(damage: readonly DamageKind[]): Record<DamageKind, number> {
  const counts: Record<DamageKind, number> = { scratch: 0, dent: 0, crack: 0 };
  for (const kind of damage) counts[kind] += 1;
  return counts;
}

function boundingBox(points: ReadonlyArray<{ x: number; y: number }>, width: number, height: number): DamageRegion['box'] {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const x1 = Math.min(width, Math.ceil(Math.max(...xs)));
  const y1 = Math.min(height, Math.ceil(Math.max(...ys)));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}
