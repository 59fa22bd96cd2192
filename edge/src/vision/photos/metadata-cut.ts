/**
 * Cuts metadata out of image bytes without decoding them: the image data itself is copied byte
 * for byte. Used for the photos the edge stores (preprocess.ts) and for refused photos in
 * quarantine (quarantine-bytes.ts). A photo's EXIF (GPS, capture time, device) is personal data
 * and may be kept in neither. Pure.
 *
 *   JPEG  every marker segment is walked, through every scan (a progressive JPEG has many),
 *         up to the end-of-image marker. Dropped: APP1 (EXIF, XMP), APP2 unless it is an ICC
 *         profile (MPF, FlashPix), APP3–APP13, APP15 (e.g. APP11 JUMBF / C2PA), COM. Kept: APP0
 *         (JFIF), APP2 ICC profile, APP14 (Adobe colour transform), tables, frame, scans. Bytes
 *         after the end-of-image marker are cut: phones append further images there (MPF depth
 *         or gain maps, Samsung trailers) which carry EXIF of their own.
 *   PNG   only chunks an image needs are kept (an allowlist: IHDR, PLTE, IDAT, IEND, tRNS, gAMA,
 *         cHRM, sRGB, iCCP, sBIT, pHYs, bKGD); everything else goes — eXIf, text chunks, tIME,
 *         C2PA / JUMBF (caBX) and any private or future ancillary chunk.
 *   WebP  likewise only VP8, VP8L, VP8X, ALPH, ANIM, ANMF and ICCP chunks are kept (EXIF, XMP,
 *         C2PA and unknown chunks go), and the EXIF and XMP flags of VP8X are cleared. The RIFF
 *         size is left as sent.
 * A JPEG that cannot be walked to its end (truncated, garbage between segments) keeps its
 * readable part; `whole` says whether the walk reached the end-of-image marker.
 */
import { jpegSegmentAt, pngChunks } from './image-header.js';

export interface JpegCut {
  bytes: Buffer;
  /** Every segment was walked up to the end-of-image marker; nothing after it was kept. */
  whole: boolean;
}

const KEEP_JPEG_APP: ReadonlySet<number> = new Set([0xe0, 0xe2, 0xee]);
const ICC_PROFILE = Buffer.from('ICC_PROFILE\0', 'latin1');
const KEEP_PNG: ReadonlySet<string> = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'pHYs', 'bKGD']);
const KEEP_WEBP: ReadonlySet<string> = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);
/** VP8X flag bits (first payload byte) announcing an EXIF and an XMP chunk. */
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

/** Markers that may stand between the start of image and the end of image outside a scan. */
const KNOWN_MARKER = (m: number): boolean => m === 0x01 || (m >= 0xc0 && m <= 0xd7) || (m >= 0xda && m <= 0xdf) || m >= 0xe0;
const SOS = 0xda;
const EOI = 0xd9;

export function cutJpegMetadata(b: Buffer): JpegCut {
  const parts: Buffer[] = [b.subarray(0, 2)];
  const done = (whole: boolean): JpegCut => ({ bytes: Buffer.concat(parts), whole });
  let at = 2;
  for (;;) {
    const marker = markerAt(b, at);
    if (marker === EOI) {
      parts.push(Buffer.from([0xff, EOI]));
      return done(true);
    }
    if (marker === undefined || !KNOWN_MARKER(marker)) return done(false);
    const segment = jpegSegmentAt(b, at);
    if (typeof segment === 'string') return done(false);
    if (!isMetadata(b, segment.marker, segment.start)) parts.push(b.subarray(segment.start, segment.end));
    at = segment.end;
    if (segment.marker === SOS) {
      const scanEnd = endOfScan(b, at);
      parts.push(b.subarray(at, scanEnd));
      if (scanEnd >= b.length) return done(false);
      at = scanEnd;
    }
  }
}

export function cutPngMetadata(b: Buffer): Buffer {
  const parts: Buffer[] = [b.subarray(0, 8)];
  for (const chunk of pngChunks(b)) {
    if (KEEP_PNG.has(chunk.type)) parts.push(b.subarray(chunk.start, Math.min(chunk.end, b.length)));
  }
  return Buffer.concat(parts);
}

export function cutWebpMetadata(b: Buffer): Buffer {
  const parts: Buffer[] = [b.subarray(0, 12)];
  let at = 12;
  while (at + 8 <= b.length) {
    const type = b.toString('latin1', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    // Chunks are padded to an even size.
    const end = at + 8 + size + (size % 2);
    if (type === 'VP8X' && at + 8 < b.length) {
      const chunk = Buffer.from(b.subarray(at, Math.min(end, b.length)));
      chunk[8] = (chunk[8] as number) & ~(VP8X_EXIF | VP8X_XMP);
      parts.push(chunk);
    } else if (KEEP_WEBP.has(type)) {
      parts.push(b.subarray(at, Math.min(end, b.length)));
    }
    at = end;
  }
  return Buffer.concat(parts);
}

/** The marker byte at `at` (after fill bytes), or undefined when there is none. */
function markerAt(b: Buffer, at: number): number | undefined {
  let i = at;
  if (b[i] !== 0xff) return undefined;
  while (i + 1 < b.length && b[i + 1] === 0xff) i += 1;
  return b[i + 1];
}

function isMetadata(b: Buffer, marker: number, start: number): boolean {
  if (marker === 0xfe) return true;
  if (marker < 0xe0 || marker > 0xef) return false;
  if (marker === 0xe2) return !b.subarray(start + 4, start + 4 + ICC_PROFILE.length).equals(ICC_PROFILE);
  return !KEEP_JPEG_APP.has(marker);
}

/**
 * Where the entropy-coded data that starts at `from` ends: the first 0xFF that is neither
 * stuffing (FF 00) nor a restart marker (FF D0–D7). The length of the data when none follows.
 */
function endOfScan(b: Buffer, from: number): number {
  let i = from;
  for (;;) {
    i = b.indexOf(0xff, i);
    if (i < 0 || i + 1 >= b.length) return b.length;
    const next = b[i + 1] as number;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i += 2;
    else if (next === 0xff) i += 1;
    else return i;
  }
}
