import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { returnPhoto } from '../../../test/support/photos.js';
import { cutJpegMetadata, cutPngMetadata, cutWebpMetadata } from './metadata-cut.js';

const EXIF_MARK = Buffer.from('Exif\0\0');

/** A marker segment: FF, marker, 2-byte length (itself included), payload. */
function segment(marker: number, payload: string | Buffer): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
}

/** The JPEG with `segments` inserted right after its start-of-image marker. */
const withSegments = (jpeg: Buffer, ...segments: Buffer[]): Buffer => Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

const pixels = (b: Buffer): Promise<Buffer> => sharp(b).raw().toBuffer();

let jpeg: Buffer;

beforeAll(async () => {
  jpeg = await returnPhoto({ seed: 41, takenAt: new Date('2026-01-15T11:59:00Z'), gps: { lat: 52.52, lon: 13.405 } });
});

describe('cutJpegMetadata', () => {
  it('drops EXIF, XMP, MPF, JUMBF and comments; keeps the ICC profile and every byte of image data', async () => {
    expect(jpeg.includes(EXIF_MARK)).toBe(true);
    const doctored = withSegments(jpeg,
      segment(0xe1, 'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPS</x:xmpmeta>'),
      segment(0xe2, 'MPF\0II*\0 entries'),
      segment(0xeb, 'JP\0\0 c2pa claims'),
      segment(0xfe, 'shot on a phone at home'));
    const cut = cutJpegMetadata(doctored);
    expect(cut.whole).toBe(true);
    for (const mark of [EXIF_MARK, Buffer.from('xmpmeta'), Buffer.from('MPF\0'), Buffer.from('c2pa'), Buffer.from('at home'), Buffer.from('photo-simulator')]) {
      expect(cut.bytes.includes(mark)).toBe(false);
    }
    const meta = await sharp(cut.bytes).metadata();
    expect([meta.exif, meta.xmp, meta.hasProfile]).toEqual([undefined, undefined, true]);
    expect((await pixels(cut.bytes)).equals(await pixels(jpeg))).toBe(true);
  });

  it('walks every scan of a progressive JPEG and cuts what follows the end of the image', async () => {
    const progressive = await sharp(jpeg).jpeg({ progressive: true }).withExif({ IFD0: { Artist: 'someone' } }).toBuffer();
    expect((await sharp(progressive).metadata()).isProgressive).toBe(true);
    const trailer = Buffer.concat([progressive, Buffer.from('SEFT trailer with a location'), jpeg]);
    const cut = cutJpegMetadata(trailer);
    expect(cut.whole).toBe(true);
    expect(cut.bytes.includes(EXIF_MARK)).toBe(false);
    expect(cut.bytes.includes(Buffer.from('SEFT'))).toBe(false);
    expect(cut.bytes.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect((await pixels(cut.bytes)).equals(await pixels(progressive))).toBe(true);
  });

  it('keeps a truncated JPEG as sent after its header, and says it is not whole', () => {
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    const cut = cutJpegMetadata(truncated);
    expect(cut.whole).toBe(false);
    expect(cut.bytes.includes(EXIF_MARK)).toBe(false);
    const scan = (b: Buffer): Buffer => b.subarray(b.indexOf(Buffer.from([0xff, 0xda])));
    expect(scan(cut.bytes).equals(scan(truncated))).toBe(true);
  });

  it('stops at a marker that has no place in a JPEG (garbage between segments)', () => {
    const broken = withSegments(jpeg, Buffer.from([0xff, 0x02, 0, 4, 0, 0]));
    const cut = cutJpegMetadata(broken);
    expect(cut.whole).toBe(false);
    expect(cut.bytes).toEqual(jpeg.subarray(0, 2));
  });
});

/** A PNG chunk: length, type, data, CRC over type and data. */
function pngChunk(type: string, data: string): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data, 'latin1')]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length - 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/** A RIFF chunk, padded to an even size. */
function riffChunk(type: string, data: string): Buffer {
  const payload = Buffer.from(data, 'latin1');
  const head = Buffer.alloc(8);
  head.write(type, 0, 'latin1');
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload, Buffer.alloc(payload.length % 2)]);
}

const rgb = (): Promise<Buffer> => sharp(jpeg).resize(64, 48).toBuffer();

describe('cutPngMetadata', () => {
  it('keeps only the chunks an image needs: C2PA (caBX), eXIf, text and private chunks go', async () => {
    const png = await sharp(await rgb()).png().toBuffer();
    const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
    const doctored = Buffer.concat([png.subarray(0, ihdrEnd),
      pngChunk('caBX', 'jumb c2pa.claim signed by a phone'),
      pngChunk('eXIf', 'MM\0*GPS 52.52 13.405'),
      pngChunk('prVt', 'vendor serial 1234'),
      pngChunk('tEXt', 'Comment\0at home'),
      pngChunk('pHYs', '\0\0\x0b\x13\0\0\x0b\x13\x01'),
      png.subarray(ihdrEnd)]);
    const cut = cutPngMetadata(doctored);
    for (const mark of ['caBX', 'c2pa', 'eXIf', 'GPS', 'prVt', 'serial', 'tEXt', 'at home']) expect({ mark, kept: cut.includes(mark) }).toEqual({ mark, kept: false });
    expect(cut.includes('pHYs')).toBe(true);
    expect((await pixels(cut)).equals(await pixels(png))).toBe(true);
  });
});

describe('cutWebpMetadata', () => {
  it('keeps only image chunks, drops EXIF, XMP and C2PA chunks and clears the VP8X EXIF/XMP flags', async () => {
    const webp = await sharp(await rgb()).webp({ lossless: true }).withExif({ IFD0: { Artist: 'someone at home' } }).toBuffer();
    expect(webp.toString('latin1', 12, 16)).toBe('VP8X');
    expect(webp[20]! & 0x08).toBe(0x08);
    const extra = Buffer.concat([riffChunk('C2PA', 'jumb c2pa.claim'), riffChunk('XMP ', '<x:xmpmeta>GPS</x:xmpmeta>'), riffChunk('prVt', 'vendor serial')]);
    const doctored = Buffer.concat([webp, extra]);
    doctored.writeUInt32LE(doctored.length - 8, 4);
    const cut = cutWebpMetadata(doctored);
    for (const mark of ['EXIF', 'someone', 'C2PA', 'c2pa', 'XMP ', 'xmpmeta', 'prVt', 'serial']) expect({ mark, kept: cut.includes(mark) }).toEqual({ mark, kept: false });
    expect(cut.toString('latin1', 12, 16)).toBe('VP8X');
    expect(cut[20]! & 0x0c).toBe(0);
    // The RIFF size is left as sent; decoders take the chunks that are there.
    const fixed = Buffer.from(cut);
    fixed.writeUInt32LE(fixed.length - 8, 4);
    expect((await sharp(fixed).metadata()).exif).toBeUndefined();
    expect((await pixels(fixed)).equals(await pixels(webp))).toBe(true);
  });
});
