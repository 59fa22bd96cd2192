/**
 * The bytes of a refused photo as they go to quarantine. Quarantine keeps original bytes for
 * inspection, but a photo's EXIF (GPS, capture time, device) is personal data and must not be
 * stored — and a refused photo cannot be decoded and re-encoded. So metadata is cut at the
 * byte level, leaving everything else as it arrived (a truncated file stays truncated). Pure.
 *
 *   JPEG  header segments APP1 (EXIF, XMP), APP3–APP13, APP15 and COM are dropped; APP0 (JFIF),
 *         APP2 (ICC profile) and APP14 (Adobe colour transform) are kept; from the start of
 *         scan on the bytes are copied. A header that cannot be walked keeps its readable part.
 *   PNG   eXIf, tEXt, zTXt, iTXt and tIME chunks are dropped.
 *   WebP  EXIF and XMP chunks are dropped (the RIFF size is left as sent: evidence of truncation).
 *   other only the first UNKNOWN_PREFIX_BYTES: enough to see what was sent, while a container
 *         this code cannot parse (HEIC, TIFF, …) may hold EXIF anywhere.
 * The result is then capped at `maxBytes`.
 */
import { jpegSegmentAt, pngChunks, sniffImageFormat } from './image-header.js';

export const UNKNOWN_PREFIX_BYTES = 64;

export interface QuarantineBytes {
  bytes: Buffer;
  /** What was changed, for the quarantine entry's detail. */
  note: string;
}

const KEEP_JPEG_APP: ReadonlySet<number> = new Set([0xe0, 0xe2, 0xee]);
const DROP_PNG: ReadonlySet<string> = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);
const DROP_WEBP: ReadonlySet<string> = new Set(['EXIF', 'XMP ']);

export function quarantineBytes(bytes: Uint8Array, maxBytes: number): QuarantineBytes {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = sniffImageFormat(b);
  let kept: Buffer;
  let note: string;
  if (format === 'jpeg') [kept, note] = [scrubJpeg(b), 'JPEG metadata segments removed'];
  else if (format === 'png') [kept, note] = [scrubPng(b), 'PNG metadata chunks removed'];
  else if (format === 'webp') [kept, note] = [scrubWebp(b), 'WebP metadata chunks removed'];
  else [kept, note] = [b.subarray(0, UNKNOWN_PREFIX_BYTES), `unknown format: first ${UNKNOWN_PREFIX_BYTES} bytes kept`];
  if (kept.length > maxBytes) {
    note += `; first ${maxBytes} of ${kept.length} bytes kept`;
    kept = kept.subarray(0, maxBytes);
  }
  return { bytes: Buffer.from(kept), note: `${note} (${b.length} bytes received)` };
}

function scrubJpeg(b: Buffer): Buffer {
  const parts: Buffer[] = [b.subarray(0, 2)];
  let at = 2;
  for (;;) {
    const segment = jpegSegmentAt(b, at);
    if (typeof segment === 'string') return Buffer.concat(parts);
    const { marker } = segment;
    const metadata = (marker >= 0xe0 && marker <= 0xef && !KEEP_JPEG_APP.has(marker)) || marker === 0xfe;
    if (marker === 0xda) {
      parts.push(b.subarray(segment.start));
      return Buffer.concat(parts);
    }
    if (!metadata) parts.push(b.subarray(segment.start, segment.end));
    at = segment.end;
  }
}

function scrubPng(b: Buffer): Buffer {
  const parts: Buffer[] = [b.subarray(0, 8)];
  for (const chunk of pngChunks(b)) {
    if (!DROP_PNG.has(chunk.type)) parts.push(b.subarray(chunk.start, Math.min(chunk.end, b.length)));
  }
  return Buffer.concat(parts);
}

function scrubWebp(b: Buffer): Buffer {
  const parts: Buffer[] = [b.subarray(0, 12)];
  let at = 12;
  while (at + 8 <= b.length) {
    const type = b.toString('latin1', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    // Chunks are padded to an even size.
    const end = at + 8 + size + (size % 2);
    if (!DROP_WEBP.has(type)) parts.push(b.subarray(at, Math.min(end, b.length)));
    at = end;
  }
  return Buffer.concat(parts);
}
