/**
 * What an uploaded photo claims to be, read from its bytes alone — never from the declared
 * content type or file name — before any decoder sees it. Pure.
 *
 * Formats: JPEG (FF D8 FF), PNG (the 8-byte signature), WebP (RIFF....WEBP). Anything else is
 * `image_unsupported`. Dimensions come from the header (JPEG SOFn, PNG IHDR, WebP VP8 / VP8L /
 * VP8X), so a pixel bomb is refused by its declared size without being decompressed.
 * Truncation is judged by structure: a JPEG needs an EOI marker after its start of scan, a PNG
 * its IEND chunk, a WebP as many bytes as its RIFF header declares. Phones that append data
 * after the end marker still pass (JPEG: the last EOI anywhere after the scan counts).
 */
import { accept, type Accepted, type Rejected } from '@fleetwire/protocol';

export const IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

export type ImageRefusal = 'image_unsupported' | 'image_truncated' | 'image_corrupt';
type Refused = Rejected & { reason: ImageRefusal };
export type ImageHeaderVerdict = Accepted<ImageHeader> | Refused;

const reject = (reason: ImageRefusal, detail: string): Refused => ({ ok: false, reason, detail });

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

export function readImageHeader(bytes: Uint8Array): ImageHeaderVerdict {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = sniffImageFormat(b);
  if (format === undefined) return reject('image_unsupported', 'not a JPEG, PNG or WebP file (magic bytes)');
  const read = format === 'jpeg' ? jpegHeader(b) : format === 'png' ? pngHeader(b) : webpHeader(b);
  if (!read.ok) return read;
  const { width, height } = read.value;
  if (width <= 0 || height <= 0) return reject('image_corrupt', `${format} header declares ${width}x${height}`);
  return accept({ format, width, height });
}

type Size = Accepted<{ width: number; height: number }> | Refused;

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number): boolean => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegHeader(b: Buffer): Size {
  let size: { width: number; height: number } | undefined;
  let at = 2;
  for (;;) {
    const segment = jpegSegmentAt(b, at);
    if (segment === 'truncated') return reject('image_truncated', `JPEG ends inside its header at byte ${at}`);
    if (segment === 'corrupt') return reject('image_corrupt', `JPEG has no marker at byte ${at}`);
    if (isStartOfFrame(segment.marker)) {
      if (segment.end - segment.start < 9) return reject('image_corrupt', 'JPEG frame header too short');
      size = { height: b.readUInt16BE(segment.start + 5), width: b.readUInt16BE(segment.start + 7) };
    }
    if (segment.marker === 0xda) break;
    at = segment.end;
  }
  if (size === undefined) return reject('image_corrupt', 'JPEG has no frame header before its scan');
  if (b.lastIndexOf(Buffer.from([0xff, 0xd9])) < at) return reject('image_truncated', 'JPEG has no end-of-image marker after its scan');
  return accept(size);
}

export interface JpegSegment {
  marker: number;
  /** Offset of the 0xFF of the marker. */
  start: number;
  /** Offset just past the segment (its length field counted). */
  end: number;
}

/** The marker segment at `at` (fill bytes skipped); markers without a length are 2 bytes long. */
export function jpegSegmentAt(b: Buffer, at: number): JpegSegment | 'truncated' | 'corrupt' {
  let i = at;
  if (i >= b.length) return 'truncated';
  if (b[i] !== 0xff) return 'corrupt';
  while (i + 1 < b.length && b[i + 1] === 0xff) i += 1;
  if (i + 1 >= b.length) return 'truncated';
  const marker = b[i + 1] as number;
  if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) return { marker, start: i, end: i + 2 };
  if (i + 4 > b.length) return 'truncated';
  const end = i + 2 + b.readUInt16BE(i + 2);
  if (end > b.length) return 'truncated';
  return { marker, start: i, end };
}

export interface PngChunk {
  type: string;
  start: number;
  /** Offset just past the CRC; may lie past the end of a truncated file. */
  end: number;
}

/** Chunks after the signature, in order; the last may be cut short. */
export function* pngChunks(b: Buffer): Generator<PngChunk> {
  let at = 8;
  while (at + 8 <= b.length) {
    const chunk = { type: b.toString('latin1', at + 4, at + 8), start: at, end: at + 12 + b.readUInt32BE(at) };
    yield chunk;
    at = chunk.end;
  }
}

function pngHeader(b: Buffer): Size {
  if (b.length < 24) return reject('image_truncated', 'PNG ends inside its header');
  if (b.toString('latin1', 12, 16) !== 'IHDR') return reject('image_corrupt', 'PNG does not start with IHDR');
  const size = { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  for (const chunk of pngChunks(b)) {
    if (chunk.end > b.length) break;
    if (chunk.type === 'IEND') return accept(size);
  }
  return reject('image_truncated', 'PNG has no IEND chunk');
}

function webpHeader(b: Buffer): Size {
  const declared = 8 + b.readUInt32LE(4);
  if (declared > b.length) return reject('image_truncated', `WebP declares ${declared} bytes, has ${b.length}`);
  if (b.length < 30) return reject('image_corrupt', 'WebP too short for a frame header');
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return reject('image_corrupt', 'WebP VP8 frame without start code');
    return accept({ width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff });
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return reject('image_corrupt', 'WebP VP8L frame without signature');
    const bits = b.readUInt32LE(21);
    return accept({ width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 });
  }
  if (chunk === 'VP8X') return accept({ width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 });
  return reject('image_corrupt', `WebP starts with an unknown chunk ${JSON.stringify(chunk)}`);
}
