/**
 * Turns uploaded photo bytes into what the models and the store need, decoding once with sharp:
 * - the model tensor: EXIF auto-orientation, resize to the model's input (fit 'fill', sharp's
 *   default lanczos3), sRGB, float32 NCHW [1, 3, H, W] scaled to 0–1 (value / 255) — the input
 *   contract in edge/models/MODEL_CARD.md;
 * - a 32x32 greyscale thumbnail for the perceptual hash;
 * - the EXIF fields fraud checks need (read before anything is stripped);
 * - the JPEG to store: upright, EXIF and all other metadata removed (sharp drops metadata unless
 *   asked to keep it), longest side capped.
 * Truncated or undecodable images and pixel bombs fail with FW_VISION_IMAGE_INVALID.
 */
import sharp from 'sharp';
import { EdgeError } from '../errors.js';
import { PHASH_SIZE, pHash, type PerceptualHash } from './perceptual-hash.js';
import { readPhotoExif, type PhotoExif } from './photo-exif.js';

export interface ModelInputSize {
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** Decoding refuses larger images (pixel bombs). Default 40 M pixels. */
  maxInputPixels?: number;
}

export interface StoreOptions {
  /** Default 85. */
  quality?: number;
  /** Longest side of the stored JPEG. Default 2048. */
  maxSide?: number;
}

export interface DecodedPhoto {
  /** Upright dimensions (after EXIF orientation). */
  width: number;
  height: number;
  exif: PhotoExif;
  /** Oriented pipeline; clone before adding steps. */
  readonly image: sharp.Sharp;
}

export interface PreparedPhoto {
  width: number;
  height: number;
  exif: PhotoExif;
  tensor: Float32Array;
  tensorShape: [1, 3, number, number];
  hash: PerceptualHash;
  storedJpeg: Buffer;
}

export async function decodePhoto(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedPhoto> {
  const maxInputPixels = options.maxInputPixels ?? 40_000_000;
  if (!Number.isInteger(maxInputPixels) || maxInputPixels <= 0) {
    throw new EdgeError('FW_VISION_OPTIONS_INVALID', `maxInputPixels must be a positive integer, got ${maxInputPixels}`);
  }
  try {
    const source = sharp(bytes, { failOn: 'truncated', limitInputPixels: maxInputPixels });
    const metadata = await source.metadata();
    if (metadata.width === undefined || metadata.height === undefined) throw new Error('image has no dimensions');
    // Orientations 5–8 swap width and height.
    const swapped = (metadata.orientation ?? 1) >= 5;
    return {
      width: swapped ? metadata.height : metadata.width,
      height: swapped ? metadata.width : metadata.height,
      exif: readPhotoExif(metadata.exif),
      image: source.rotate(),
    };
  } catch (error) {
    throw imageInvalid(error);
  }
}

/** Float32 NCHW [1, 3, H, W], RGB scaled to 0–1. */
export async function photoTensor(photo: DecodedPhoto, size: ModelInputSize): Promise<Float32Array> {
  const { data, info } = await run(photo.image.clone()
    .resize(size.width, size.height, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true }));
  if (info.channels !== 3 || info.width !== size.width || info.height !== size.height) {
    throw new EdgeError('FW_VISION_IMAGE_INVALID', `decoded ${info.width}x${info.height}x${info.channels}, expected ${size.width}x${size.height}x3`);
  }
  const plane = size.width * size.height;
  const tensor = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    tensor[i] = (data[3 * i] as number) / 255;
    tensor[plane + i] = (data[3 * i + 1] as number) / 255;
    tensor[2 * plane + i] = (data[3 * i + 2] as number) / 255;
  }
  return tensor;
}

export async function photoHash(photo: DecodedPhoto): Promise<PerceptualHash> {
  const grey = await run(photo.image.clone().resize(PHASH_SIZE, PHASH_SIZE, { fit: 'fill' }).greyscale().raw().toBuffer());
  return pHash(new Uint8Array(grey.buffer, grey.byteOffset, grey.length));
}

/** The photo to keep: upright, no EXIF (no GPS or device data leaves the edge in the stored file). */
export async function storedJpeg(photo: DecodedPhoto, options: StoreOptions = {}): Promise<Buffer> {
  const maxSide = options.maxSide ?? 2048;
  const quality = options.quality ?? 85;
  return run(photo.image.clone()
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality })
    .toBuffer());
}

export async function preparePhoto(
  bytes: Uint8Array,
  input: ModelInputSize,
  options: DecodeOptions & { store?: StoreOptions } = {},
): Promise<PreparedPhoto> {
  const photo = await decodePhoto(bytes, options);
  const [tensor, hash, stored] = await Promise.all([photoTensor(photo, input), photoHash(photo), storedJpeg(photo, options.store)]);
  return {
    width: photo.width,
    height: photo.height,
    exif: photo.exif,
    tensor,
    tensorShape: [1, 3, input.height, input.width],
    hash,
    storedJpeg: stored,
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
