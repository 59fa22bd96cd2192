import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { generatePhoto } from '@fleetwire/simulators';
import { DEFAULT_FRAUD_THRESHOLDS } from '../fraud/fraud-features.js';
import { hammingDistance } from './perceptual-hash.js';
import { inspectPhoto, photoTensor, preparePhoto } from './preprocess.js';

const size = { width: 256, height: 192 };
const takenAt = new Date('2026-01-15T11:58:20Z');
const gps = { lat: 52.520812, lon: -13.404954 };

function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

describe('preparePhoto', () => {
  it('applies EXIF orientation before resizing, so a rotated upload gives the upright tensor', async () => {
    const upright = await generatePhoto({ seed: 11, exif: { takenAt, gps, orientation: 1 }, quality: 95 });
    const turned = await generatePhoto({ seed: 11, exif: { takenAt, gps, orientation: 6 }, quality: 95 });
    const stored = await sharp(turned.jpeg).metadata();
    expect([stored.width, stored.height, stored.orientation]).toEqual([192, 256, 6]);

    const a = await preparePhoto(upright.jpeg, size);
    const b = await preparePhoto(turned.jpeg, size);
    expect([b.width, b.height]).toEqual([256, 192]);
    expect(b.tensorShape).toEqual([1, 3, 192, 256]);
    expect(meanAbsDiff(a.tensor, b.tensor)).toBeLessThan(0.02);
    // Ignoring the tag (squeezing the stored 192x256 pixels into 256x192) is far off.
    const unrotated = await sharp(turned.jpeg).resize(256, 192, { fit: 'fill' }).jpeg({ quality: 95 }).toBuffer();
    const c = await preparePhoto(unrotated, size);
    expect(meanAbsDiff(a.tensor, c.tensor)).toBeGreaterThan(0.05);
  });

  it('reads capture time and GPS from EXIF', async () => {
    const { jpeg } = await generatePhoto({ seed: 12, exif: { takenAt, gps, orientation: 8 } });
    const photo = await inspectPhoto(jpeg);
    expect(photo.exif.takenAt?.toISOString()).toBe(takenAt.toISOString());
    expect(photo.exif.gps?.lat).toBeCloseTo(gps.lat, 6);
    expect(photo.exif.gps?.lon).toBeCloseTo(gps.lon, 6);
    expect(photo.exif.orientation).toBe(8);
    expect([photo.width, photo.height, photo.orientation]).toEqual([256, 192, 8]);
  });

  it('reads no EXIF from a photo without any', async () => {
    const { jpeg } = await generatePhoto({ seed: 13 });
    const photo = await inspectPhoto(jpeg);
    expect(photo.exif).toEqual({ takenAt: null, gps: null, orientation: null });
    expect(photo.orientation).toBe(1);
  });

  it('stores a JPEG without decoding it: image data as uploaded, no EXIF left, orientation kept aside', async () => {
    const { jpeg } = await generatePhoto({ seed: 14, width: 1024, height: 768, exif: { takenAt, gps, orientation: 6 } });
    expect((await sharp(jpeg).metadata()).exif).toBeDefined();
    const prepared = await preparePhoto(jpeg, size);
    const meta = await sharp(prepared.storedJpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(prepared.storedJpeg.includes(Buffer.from('Exif\0\0'))).toBe(false);
    // As taken (768x1024, to be turned by orientation 6); the answer's dimensions are upright.
    expect([meta.width, meta.height]).toEqual([768, 1024]);
    expect([prepared.width, prepared.height, prepared.storedOrientation]).toEqual([1024, 768, 6]);
    // Not re-encoded: the scan is the uploaded one byte for byte, and decodes to the same pixels.
    const scan = (b: Buffer): Buffer => b.subarray(b.indexOf(Buffer.from([0xff, 0xda])));
    expect(scan(prepared.storedJpeg).equals(scan(jpeg))).toBe(true);
    expect((await sharp(prepared.storedJpeg).raw().toBuffer()).equals(await sharp(jpeg).raw().toBuffer())).toBe(true);
  });

  it('cuts what a phone appends after the image (a second image with EXIF of its own)', async () => {
    const { jpeg } = await generatePhoto({ seed: 18, exif: { takenAt, gps } });
    const appended = Buffer.concat([jpeg, jpeg]);
    const prepared = await preparePhoto(appended, size);
    expect(prepared.storedJpeg.includes(Buffer.from('Exif\0\0'))).toBe(false);
    expect(prepared.storedJpeg.includes(Buffer.from('photo-simulator'))).toBe(false);
    expect(prepared.storedJpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect(prepared.storedOrientation).toBe(1);
  });

  it('caps the stored size and lays the tensor out as RGB planes scaled to 0–1', async () => {
    const red = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
    const prepared = await preparePhoto(red, { width: 32, height: 24 }, { store: { maxSide: 400 } });
    const meta = await sharp(prepared.storedJpeg).metadata();
    // A PNG is re-encoded: an upright JPEG, capped.
    expect([meta.format, meta.width, meta.height, prepared.storedOrientation]).toEqual(['jpeg', 400, 300, 1]);
    const plane = 32 * 24;
    expect(prepared.tensor.length).toBe(3 * plane);
    expect(prepared.tensor[0]).toBeCloseTo(1, 2);
    expect(prepared.tensor[plane + 5]).toBeCloseTo(0, 2);
    expect(prepared.tensor[2 * plane + 9]).toBeCloseTo(0, 2);
  });

  it('hashes a re-encoded copy close to the original and another car far from it', async () => {
    const original = await generatePhoto({ seed: 15 });
    const copy = await sharp(original.jpeg).modulate({ brightness: 1.06 }).resize(200, 150).jpeg({ quality: 70 }).toBuffer();
    const other = await generatePhoto({ seed: 16 });
    const [h1, h2, h3] = await Promise.all([original.jpeg, copy, other.jpeg].map(async (b) => (await preparePhoto(b, size)).hash));
    const limit = DEFAULT_FRAUD_THRESHOLDS.reuseMaxDistance;
    expect(hammingDistance(h1 as string, h2 as string)).toBeLessThanOrEqual(limit);
    expect(hammingDistance(h1 as string, h3 as string)).toBeGreaterThan(limit + 10);
  });

  it('refuses truncated, undecodable and oversized images with FW_VISION_IMAGE_INVALID', async () => {
    const { jpeg } = await generatePhoto({ seed: 17 });
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    await expect(preparePhoto(truncated, size)).rejects.toMatchObject({ code: 'FW_VISION_IMAGE_INVALID' });
    await expect(preparePhoto(Buffer.from('not an image at all'), size)).rejects.toMatchObject({ code: 'FW_VISION_IMAGE_INVALID' });
    await expect(preparePhoto(jpeg, size, { maxInputPixels: 10_000 })).rejects.toMatchObject({ code: 'FW_VISION_IMAGE_INVALID' });
    await expect(photoTensor(jpeg, size)).resolves.toHaveLength(3 * 256 * 192);
  });
});
