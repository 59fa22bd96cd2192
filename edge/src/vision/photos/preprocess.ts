/**
 * Turns uploaded photo bytes into what the models and the store need, decoding once, small:
 * - the header (no pixel decoded; a JPEG's from its own segments, PNG and WebP by sharp's
 *   metadata): dimensions, EXIF orientation, and the EXIF fields fraud checks need (read before
 *   anything is stripped);
 * - ONE decode straight to the model's input size (fit 'fill', sharp's default lanczos3, sRGB):
 *   EXIF auto-orientation first; for a JPEG, libjpeg decodes at 1/2, 1/4 or 1/8 scale
 *   (shrink-on-load, sharp's default fastShrinkOnLoad), so a 12 MP photo is never decoded at
 *   full size. From those pixels (photo-pixels.ts): the model tensor, float32 NCHW [1, 3, H, W] scaled to 0–1 (value / 255) — the input
 *   contract in edge/models/MODEL_CARD.md — and the 64x64 greyscale thumbnail of the perceptual
 *   hash (area average of the model-size pixels);
 * - the photo to store, without EXIF or any other personal metadata. A JPEG is not decoded for
 *   it: its metadata segments are cut byte-wise (metadata-cut.ts), the image data is kept as
 *   uploaded, and the EXIF orientation it loses is returned as `storedOrientation` (kept in the
 *   vision store beside the photo's hash). PNG, WebP, and a JPEG whose structure cannot be
 *   walked to its end are re-encoded: an upright JPEG, longest side capped, no metadata.
 * A JPEG whose scan data ends before its last row (also when an end-of-image marker follows the
 * cut) fails with FW_VISION_IMAGE_TRUNCATED (see decode()); other undecodable images and pixel
 * bombs fail with FW_VISION_IMAGE_INVALID.
 */
import sharp from 'sharp';
import { EdgeError } from '../../errors.js';
import { createDecodeTurns } from './decode-turns.js';
import { readImageHeader, sniffImageFormat } from './image-header.js';
import { cutJpegMetadata } from './metadata-cut.js';
import { PHASH_SIZE, pHash, type PerceptualHash } from './perceptual-hash.js';
import { jpegExifBlock, readPhotoExif, type PhotoExif } from './photo-exif.js';
import { exifOrientation, greyThumbnail, rgbTensor, type RgbPixels } from './photo-pixels.js';

export interface ModelInputSize {
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** Decoding refuses larger images (pixel bombs). Default 40 M pixels. */
  maxInputPixels?: number;
}

export interface StoreOptions {
  /** Quality of a re-encoded photo. Default 85. */
  quality?: number;
  /** Longest side of a re-encoded photo. Default 2048. */
  maxSide?: number;
}

export interface PhotoInfo {
  /** Upright dimensions (after EXIF orientation). */
  width: number;
  height: number;
  /** EXIF orientation 1–8 of the bytes as uploaded (1 when absent). */
  orientation: number;
  exif: PhotoExif;
}

export interface PreparedPhoto {
  width: number;
  height: number;
  exif: PhotoExif;
  tensor: Float32Array;
  tensorShape: [1, 3, number, number];
  hash: PerceptualHash;
  /** The JPEG to store: no EXIF, XMP or other personal metadata. */
  storedJpeg: Buffer;
  /** EXIF orientation to apply when showing `storedJpeg` (1: stored upright). */
  storedOrientation: number;
}

interface Source {
  bytes: Uint8Array;
  options: sharp.SharpOptions;
  jpeg: boolean;
}

function source(bytes: Uint8Array, options: DecodeOptions): Source {
  const maxInputPixels = options.maxInputPixels ?? 40_000_000;
  if (!Number.isInteger(maxInputPixels) || maxInputPixels <= 0) {
    throw new EdgeError('FW_VISION_OPTIONS_INVALID', `maxInputPixels must be a positive integer, got ${maxInputPixels}`);
  }
  return { bytes, options: { failOn: 'truncated', limitInputPixels: maxInputPixels }, jpeg: sniffImageFormat(bytes) === 'jpeg' };
}

/**
 * libjpeg's words for scan data that stops before the image does: it hit a marker inside the
 * entropy-coded data ("premature end of data segment"), ran out of bytes ("premature end of JPEG
 * file", libvips: "premature end of JPEG image"), or found a marker other than a restart marker
 * where one was due ("found marker 0xd9 instead of RST2"; a misnumbered RST is corruption, not
 * a cut, and does not match).
 */
const DATA_ENDED_EARLY = /premature end|found marker 0x(?!d[0-7])[0-9a-f]{2} instead of RST/i;

export function jpegDataEndedEarly(message: string): boolean {
  return DATA_ENDED_EARLY.test(message);
}

/**
 * Runs `pipeline` (one decode) on the photo. Why JPEGs are decoded with failOn 'warning' first:
 * a JPEG cut inside its scan with an end-of-image marker appended (or another image, or junk and
 * then the marker) looks whole to image-header.ts and passes sharp at 'truncated' and at 'error':
 * libjpeg only warns, stuffs zeros for the missing data, and the photo would be scored with a
 * grey lower part. Only 'warning' fails it. But 'warning' also fails JPEGs whose pixels are
 * whole (an unknown JFIF revision, odd SOS parameters in a sequential JPEG), so only a warning
 * that says the data ended early refuses the photo, as truncated; any other failure decodes again
 * at 'truncated', as before. A good photo is decoded once, side by side with any other work;
 * a strict failure (a cut or an odd file, never a good photo) is decoded strictly once more,
 * alone, because only alone is its reason reliable (decode-turns.ts says why).
 * PNG and WebP stay at 'truncated': cut with their end chunk re-appended, they already fail there.
 * Measured with sharp 0.34.5 / libvips 8.17.3 (preprocess.test.ts has the cases). Known blind
 * spots, seen in those measurements: a warning raised while libvips decodes the last 8-row strip
 * of its output is lost, so a cut that damages only those rows (after shrink-on-load a few per
 * cent of the model input's height at most) still passes; an arithmetic-coded JPEG (no phone
 * writes one) raises no warning; a progressive JPEG cut exactly between two scans is a legal,
 * blurrier image.
 */
async function decode<T>(from: Source, pipeline: (image: sharp.Sharp) => Promise<T>): Promise<T> {
  if (from.jpeg) {
    const strict = (): Promise<T> => pipeline(sharp(from.bytes, { ...from.options, failOn: 'warning' }));
    try {
      return await turns.shared(strict);
    } catch {
      const failure = await turns.exclusive(() => strict().then(() => undefined, (error: unknown) => error));
      const detail = failure instanceof Error ? failure.message : String(failure ?? '');
      const ended = detail.split('\n').find(jpegDataEndedEarly);
      if (ended !== undefined) {
        throw new EdgeError('FW_VISION_IMAGE_TRUNCATED', `JPEG image data ends early, the scan is cut short (${ended.replace(/^VipsJpeg: /, '')})`, { cause: failure });
      }
    }
  }
  return run(turns.shared(() => pipeline(sharp(from.bytes, from.options))));
}

/**
 * Every sharp operation of the process takes a turn here (decode-turns.ts), leaving one of
 * libuv's threads to the short jobs (fsyncs, file operations, token checks).
 */
const turns = createDecodeTurns({ maxShared: Math.max(1, threadPoolSize() - 1) });

/** libuv's thread pool: UV_THREADPOOL_SIZE when set (libuv reads it at the first job), else 4. */
function threadPoolSize(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size > 0 ? Math.min(size, 1024) : 4;
}

/**
 * Header only: dimensions, orientation and EXIF, without decoding pixels. A JPEG's are read from
 * its bytes (frame header, EXIF segment); PNG, WebP, and a JPEG whose header does not read, by
 * libvips.
 */
export async function inspectPhoto(bytes: Uint8Array, options: DecodeOptions = {}): Promise<PhotoInfo> {
  const from = source(bytes, options);
  const header = from.jpeg ? readImageHeader(from.bytes) : undefined;
  if (header?.ok === true) {
    const exif = readPhotoExif(jpegExifBlock(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    return upright(header.value.width, header.value.height, exifOrientation(exif.orientation), exif);
  }
  // Header only, but it takes libvips warnings too: a shared turn like the decodes.
  const metadata = await run(turns.shared(() => sharp(from.bytes, from.options).metadata()));
  if (metadata.width === undefined || metadata.height === undefined) throw imageInvalid(new Error('image has no dimensions'));
  return upright(metadata.width, metadata.height, exifOrientation(metadata.orientation), readPhotoExif(metadata.exif));
}

function upright(width: number, height: number, orientation: number, exif: PhotoExif): PhotoInfo {
  // Orientations 5–8 swap width and height.
  const swapped = orientation >= 5;
  return { width: swapped ? height : width, height: swapped ? width : height, orientation, exif };
}

/** The photo turned upright and resized to `size` (fit 'fill'): 8-bit sRGB. */
export async function photoPixels(bytes: Uint8Array, size: ModelInputSize, options: DecodeOptions = {}): Promise<RgbPixels> {
  const from = source(bytes, options);
  const { width, height } = size;
  const { data, info: out } = await decode(from, (image) => image
    .rotate()
    .resize(width, height, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true }));
  if (out.channels !== 3 || out.width !== width || out.height !== height || data.length !== width * height * 3) {
    throw new EdgeError('FW_VISION_IMAGE_INVALID', `decoded ${out.width}x${out.height}x${out.channels}, expected ${width}x${height}x3`);
  }
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

/** Float32 NCHW [1, 3, H, W], RGB scaled to 0–1. */
export async function photoTensor(bytes: Uint8Array, size: ModelInputSize, options: DecodeOptions = {}): Promise<Float32Array> {
  return rgbTensor(await photoPixels(bytes, size, options));
}

/** The photo to keep: no EXIF (no GPS or device data leaves the edge in the stored file). */
export async function storedPhoto(
  bytes: Uint8Array,
  info: Pick<PhotoInfo, 'orientation'>,
  options: DecodeOptions & StoreOptions = {},
): Promise<{ jpeg: Buffer; orientation: number }> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (sniffImageFormat(b) === 'jpeg') {
    const cut = cutJpegMetadata(b);
    if (cut.whole) return { jpeg: cut.bytes, orientation: info.orientation };
  }
  const from = source(bytes, options);
  const maxSide = options.maxSide ?? 2048;
  const jpeg = await decode(from, (image) => image
    .rotate()
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: options.quality ?? 85 })
    .toBuffer());
  return { jpeg, orientation: 1 };
}

export async function preparePhoto(
  bytes: Uint8Array,
  input: ModelInputSize,
  options: DecodeOptions & { store?: StoreOptions; tensor?: Float32Array } = {},
): Promise<PreparedPhoto> {
  const [info, pixels] = await Promise.all([inspectPhoto(bytes, options), photoPixels(bytes, input, options)]);
  const stored = await storedPhoto(bytes, info, { ...options, ...options.store });
  // The hash thumbnail comes from the model-size pixels; a model input smaller than the
  // thumbnail (not the bundled models') gets a decode of its own.
  const small = pixels.width < PHASH_SIZE || pixels.height < PHASH_SIZE;
  const thumbnailSource = small ? await photoPixels(bytes, { width: PHASH_SIZE, height: PHASH_SIZE }, options) : pixels;
  return {
    width: info.width,
    height: info.height,
    exif: info.exif,
    tensor: rgbTensor(pixels, options.tensor),
    tensorShape: [1, 3, input.height, input.width],
    hash: pHash(greyThumbnail(thumbnailSource, PHASH_SIZE)),
    storedJpeg: stored.jpeg,
    storedOrientation: stored.orientation,
  };
}

async function run<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw imageInvalid(error);
  }
}

function imageInvalid(error: unknown): EdgeError {
  if (error instanceof EdgeError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new EdgeError('FW_VISION_IMAGE_INVALID', `photo cannot be decoded: ${detail}`, { cause: error });
}
