import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { generatePhoto } from '@fleetwire/simulators';
import { DEFAULT_FRAUD_THRESHOLDS } from '../fraud/fraud-features.js';
import { readImageHeader } from './image-header.js';
import { hammingDistance } from './perceptual-hash.js';
import { jpegExifBlock } from './photo-exif.js';
import { inspectPhoto, jpegDataEndedEarly, photoTensor, preparePhoto } from './preprocess.js';

const size = { width: 256, height: 192 };
const takenAt = new Date('2026-01-15T11:58:20Z');
const gps = { lat: 52.520812, lon: -13.404954 };

const EOI = Buffer.from([0xff, 0xd9]);

/** The JPEG cut inside its scan at `fraction` of its length, an end-of-image marker appended. */
function cutWithEoi(jpeg: Buffer, fraction: number): Buffer {
  const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  const at = Math.floor(jpeg.length * fraction);
  if (at <= scan + 20) throw new Error(`cut at ${at} is not inside the scan (starts at ${scan})`);
  return Buffer.concat([jpeg.subarray(0, at), EOI]);
}

/** The same JPEG with a JFIF APP0 segment of revision 2.01 (libjpeg warns: unknown revision). */
function withJfif201(jpeg: Buffer): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x02, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  return Buffer.concat([jpeg.subarray(0, 2), app0, jpeg.subarray(2)]);
}

/** The same baseline JPEG with Ss = 1 in its scan header (libjpeg warns: invalid SOS parameters). */
function withOddSos(jpeg: Buffer): Buffer {
  const copy = Buffer.from(jpeg);
  const sos = copy.indexOf(Buffer.from([0xff, 0xda]));
  copy[sos + 5 + 2 * (copy[sos + 4] as number)] = 1;
  return copy;
}

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

  it('reads a JPEG\'s header from its bytes as libvips does: the first EXIF segment, an XMP segment before it skipped', async () => {
    const first = (await generatePhoto({ seed: 15, exif: { takenAt, gps, orientation: 6 } })).jpeg;
    const { jpeg } = await generatePhoto({ seed: 15, exif: { takenAt: new Date('2026-02-01T08:00:00Z'), gps, orientation: 1 } });
    const exifSegment = (b: Buffer): Buffer => {
      const at = b.indexOf(Buffer.from('Exif\0\0', 'latin1')) - 4;
      return b.subarray(at, at + 2 + b.readUInt16BE(at + 2));
    };
    const xmp = Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>', 'latin1');
    const xmpSegment = Buffer.concat([Buffer.from([0xff, 0xe1, 0, 0]), xmp]);
    xmpSegment.writeUInt16BE(xmp.length + 2, 2);
    // SOI, XMP, the first photo's EXIF, then the second photo's own segments (its EXIF among them).
    const both = Buffer.concat([jpeg.subarray(0, 2), xmpSegment, exifSegment(first), jpeg.subarray(2)]);
    const ours = await inspectPhoto(both);
    const theirs = await sharp(both).metadata();
    expect(theirs.orientation).toBe(6);
    expect([ours.width, ours.height, ours.orientation]).toEqual([theirs.height, theirs.width, 6]);
    expect(ours.exif.takenAt?.toISOString()).toBe(takenAt.toISOString());
    expect(jpegExifBlock(both)?.equals(theirs.exif as Buffer)).toBe(true);
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

  it('refuses a truncated JPEG with FW_VISION_IMAGE_TRUNCATED, undecodable and oversized images with FW_VISION_IMAGE_INVALID', async () => {
    const { jpeg } = await generatePhoto({ seed: 17 });
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    await expect(preparePhoto(truncated, size)).rejects.toMatchObject({ code: 'FW_VISION_IMAGE_TRUNCATED' });
    await expect(preparePhoto(Buffer.from('not an image at all'), size)).rejects.toMatchObject({ code: 'FW_VISION_IMAGE_INVALID' });
    await expect(preparePhoto(jpeg, size, { maxInputPixels: 10_000 })).rejects.toMatchObject({ code: 'FW_VISION_IMAGE_INVALID' });
    await expect(photoTensor(jpeg, size)).resolves.toHaveLength(3 * 256 * 192);
  });
});

describe('a JPEG whose scan is cut short but ends with an end-of-image marker', () => {
  it('refuses a baseline JPEG cut mid-scan with FF D9 appended as truncated, though its structure looks whole', async () => {
    const small = (await generatePhoto({ seed: 21, exif: { takenAt, gps } })).jpeg;
    // 1024x768 decodes at 1/4 scale (shrink-on-load) for the 256x192 model input.
    const large = (await generatePhoto({ seed: 22, width: 1024, height: 768, exif: { takenAt, gps, orientation: 6 } })).jpeg;
    for (const jpeg of [small, large]) {
      for (const fraction of [0.3, 0.6, 0.9]) {
        const cut = cutWithEoi(jpeg, fraction);
        // The structural check cannot see it: SOI, headers, a scan, EOI.
        expect(readImageHeader(cut)).toMatchObject({ ok: true });
        await expect(preparePhoto(cut, size)).rejects.toMatchObject({
          code: 'FW_VISION_IMAGE_TRUNCATED',
          message: expect.stringMatching(/JPEG image data ends early.*premature end of data segment/),
        });
      }
    }
    // Cut, and another whole image after the cut (phones append images): the same.
    const appended = Buffer.concat([small.subarray(0, Math.floor(small.length / 2)), small]);
    await expect(preparePhoto(appended, size)).rejects.toMatchObject({ code: 'FW_VISION_IMAGE_TRUNCATED' });
  });

  it('refuses it every time while other photos (JPEG and PNG) are prepared beside it', async () => {
    const intact = (await generatePhoto({ seed: 23, exif: { takenAt, gps } })).jpeg;
    const png = await sharp(intact).png().toBuffer();
    const toCut = (await generatePhoto({ seed: 24, exif: { takenAt, gps } })).jpeg;
    const outcomes = [];
    for (let round = 0; round < 20; round += 1) {
      const cut = cutWithEoi(toCut, 0.4 + (round % 5) * 0.1);
      outcomes.push(...(await Promise.allSettled([preparePhoto(png, size), preparePhoto(cut, size), preparePhoto(intact, size)])).map((o) => o.status));
    }
    expect(outcomes).toEqual(Array.from({ length: 20 }, () => ['fulfilled', 'rejected', 'fulfilled']).flat());
  });

  it('refuses a progressive JPEG cut mid-scan with FF D9 appended as truncated', async () => {
    const { jpeg } = await generatePhoto({ seed: 23, width: 1024, height: 768, exif: { takenAt, gps } });
    const progressive = await sharp(jpeg).jpeg({ quality: 90, progressive: true }).toBuffer();
    const mozjpeg = await sharp(jpeg).jpeg({ mozjpeg: true }).toBuffer();
    for (const image of [progressive, mozjpeg]) {
      expect(image.filter((byte, i) => byte === 0xff && image[i + 1] === 0xda).length).toBeGreaterThan(1);
      for (const fraction of [0.2, 0.5, 0.9]) {
        const cut = cutWithEoi(image, fraction);
        expect(readImageHeader(cut)).toMatchObject({ ok: true });
        await expect(preparePhoto(cut, size)).rejects.toMatchObject({ code: 'FW_VISION_IMAGE_TRUNCATED' });
      }
    }
  });

  it('still decodes valid baseline and progressive JPEGs, PNG and WebP', async () => {
    const { jpeg } = await generatePhoto({ seed: 24, width: 1024, height: 768, exif: { takenAt, gps, orientation: 6 } });
    const upright = await sharp(jpeg).rotate().toBuffer();
    // [name, bytes, same picture as `jpeg` in colour]
    const photos: Array<[string, Buffer, boolean]> = [
      ['simulator JPEG with EXIF orientation', jpeg, true],
      ['small simulator JPEG', (await generatePhoto({ seed: 25 })).jpeg, false],
      ['progressive JPEG', await sharp(upright).jpeg({ progressive: true }).toBuffer(), true],
      ['mozjpeg (progressive, trellis)', await sharp(upright).jpeg({ mozjpeg: true }).toBuffer(), true],
      ['4:4:4 quality 100, standard tables', await sharp(upright).jpeg({ quality: 100, chromaSubsampling: '4:4:4', optimiseCoding: false }).toBuffer(), true],
      ['greyscale JPEG', await sharp(upright).greyscale().jpeg().toBuffer(), false],
      ['JPEG with bytes after its end', Buffer.concat([jpeg, Buffer.alloc(512)]), true],
      ['PNG', await sharp(upright).png().toBuffer(), true],
      ['interlaced PNG with alpha', await sharp(upright).ensureAlpha(0.5).png({ progressive: true }).toBuffer(), true],
      ['lossy WebP', await sharp(upright).webp().toBuffer(), true],
      ['lossless WebP', await sharp(upright).webp({ lossless: true }).toBuffer(), true],
    ];
    const reference = await preparePhoto(jpeg, size);
    for (const [name, bytes, same] of photos) {
      const prepared = await preparePhoto(bytes, size).catch((error: unknown) => {
        throw new Error(`${name}: ${String(error)}`);
      });
      expect(prepared.tensor, name).toHaveLength(3 * 256 * 192);
      if (same) expect(meanAbsDiff(prepared.tensor, reference.tensor), name).toBeLessThan(0.02);
    }
  });

  it('decodes, as before, a whole JPEG for which libjpeg warns about something other than missing data', async () => {
    const { jpeg } = await generatePhoto({ seed: 26, exif: { takenAt, gps } });
    const reference = await preparePhoto(jpeg, size);
    for (const odd of [withJfif201(jpeg), withOddSos(jpeg)]) {
      const prepared = await preparePhoto(odd, size);
      expect(meanAbsDiff(prepared.tensor, reference.tensor)).toBeLessThan(0.001);
    }
  });

  it('reads libjpeg\'s words for scan data that ends early, and only those', () => {
    for (const ended of [
      'VipsJpeg: Corrupt JPEG data: premature end of data segment',
      'VipsJpeg: premature end of JPEG image',
      'Premature end of JPEG file',
      'VipsJpeg: Corrupt JPEG data: found marker 0xd9 instead of RST1',
      'Corrupt JPEG data: found marker 0xd8 instead of RST6',
    ]) expect(jpegDataEndedEarly(ended), ended).toBe(true);
    for (const other of [
      'VipsJpeg: Warning: unknown JFIF revision number 2.01',
      'VipsJpeg: Invalid SOS parameters for sequential JPEG',
      'Corrupt JPEG data: found marker 0xd5 instead of RST3',
      'Corrupt JPEG data: bad Huffman code',
      'Input image exceeds pixel limit',
    ]) expect(jpegDataEndedEarly(other), other).toBe(false);
  });
});
