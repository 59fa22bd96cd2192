import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { pngBomb, returnPhoto, TEXT_NAMED_JPG, withJpegDimensions } from '../../../test/support/photos.js';
import { readImageHeader } from './image-header.js';
import { quarantineBytes, UNKNOWN_PREFIX_BYTES } from './quarantine-bytes.js';

const EXIF_MARK = Buffer.from('Exif\0\0');
let jpeg: Buffer;
let png: Buffer;
let webp: Buffer;

beforeAll(async () => {
  jpeg = await returnPhoto({ seed: 31, takenAt: new Date('2026-01-15T11:59:00Z'), gps: { lat: 52.52, lon: 13.405 } });
  png = await sharp(jpeg).withExif({ IFD0: { Artist: 'someone' } }).png().toBuffer();
  webp = await sharp(jpeg).withExif({ IFD0: { Artist: 'someone' } }).webp().toBuffer();
});

describe('readImageHeader', () => {
  it('reads format and dimensions of JPEG, PNG, lossy and lossless WebP', async () => {
    expect(readImageHeader(jpeg)).toEqual({ ok: true, value: { format: 'jpeg', width: 256, height: 192 } });
    expect(readImageHeader(png)).toEqual({ ok: true, value: { format: 'png', width: 256, height: 192 } });
    expect(readImageHeader(webp)).toEqual({ ok: true, value: { format: 'webp', width: 256, height: 192 } });
    const lossless = await sharp(jpeg).resize(33, 17).webp({ lossless: true }).toBuffer();
    expect(readImageHeader(lossless)).toMatchObject({ ok: true, value: { width: 33, height: 17 } });
  });

  it('goes by magic bytes: text is unsupported whatever its name, and so is a GIF', async () => {
    expect(readImageHeader(TEXT_NAMED_JPG)).toMatchObject({ ok: false, reason: 'image_unsupported' });
    expect(readImageHeader(Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'image_unsupported' });
    const gif = await sharp(jpeg).gif().toBuffer();
    expect(readImageHeader(gif)).toMatchObject({ ok: false, reason: 'image_unsupported' });
  });

  it('finds truncation in each format, also when the cut falls inside the header', () => {
    for (const bytes of [jpeg, png, webp]) {
      expect(readImageHeader(bytes.subarray(0, Math.floor(bytes.length * 0.7)))).toMatchObject({ ok: false, reason: 'image_truncated' });
    }
    expect(readImageHeader(jpeg.subarray(0, 40))).toMatchObject({ ok: false, reason: 'image_truncated' });
  });

  it('reports the declared size of a pixel bomb and of a doctored JPEG without decoding them', () => {
    const bomb = pngBomb(20_000, 20_000);
    expect(bomb.length).toBeLessThan(200_000);
    expect(readImageHeader(bomb)).toEqual({ ok: true, value: { format: 'png', width: 20_000, height: 20_000 } });
    expect(readImageHeader(withJpegDimensions(jpeg, 65_000, 65_000))).toMatchObject({ ok: true, value: { width: 65_000, height: 65_000 } });
  });

  it('calls a JPEG whose header has no marker where one should be corrupt', () => {
    expect(readImageHeader(Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe0, 0, 4, 0, 0, 0x12])]))).toMatchObject({ ok: false, reason: 'image_corrupt' });
  });
});

describe('quarantineBytes', () => {
  it('cuts EXIF out of a truncated JPEG, keeping the rest byte for byte', async () => {
    expect(jpeg.includes(EXIF_MARK)).toBe(true);
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    const kept = quarantineBytes(truncated, 1 << 20);
    expect(kept.bytes.includes(EXIF_MARK)).toBe(false);
    expect(kept.note).toContain('metadata');
    const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    expect(kept.bytes.subarray(kept.bytes.indexOf(Buffer.from([0xff, 0xda])))).toEqual(truncated.subarray(scan));
    // The scrubbed bytes of a whole JPEG still decode, with no EXIF.
    const whole = quarantineBytes(jpeg, 1 << 20).bytes;
    expect((await sharp(whole).metadata()).exif).toBeUndefined();
    expect((await sharp(whole).raw().toBuffer()).length).toBe(256 * 192 * 3);
  });

  it('drops PNG and WebP metadata chunks', async () => {
    expect((await sharp(png).metadata()).exif).toBeDefined();
    expect((await sharp(quarantineBytes(png, 1 << 20).bytes).metadata()).exif).toBeUndefined();
    expect((await sharp(webp).metadata()).exif).toBeDefined();
    expect(quarantineBytes(webp, 1 << 20).bytes.includes(Buffer.from('EXIF'))).toBe(false);
  });

  it('keeps only a short prefix of an unknown format and caps everything at maxBytes', () => {
    expect(quarantineBytes(TEXT_NAMED_JPG, 1 << 20).bytes).toEqual(TEXT_NAMED_JPG.subarray(0, UNKNOWN_PREFIX_BYTES));
    const capped = quarantineBytes(jpeg, 1000);
    expect(capped.bytes.length).toBe(1000);
    expect(capped.note).toContain('first 1000');
  });
});
