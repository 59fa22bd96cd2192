/**
 * The bytes of a refused photo as they go to quarantine. Quarantine keeps original bytes for
 * inspection, but a photo's EXIF (GPS, capture time, device) is personal data and must not be
 * stored — and a refused photo cannot be decoded and re-encoded. So metadata is cut at the
 * byte level (metadata-cut.ts: JPEG APP1, non-ICC APP2, APP3–APP13, APP15, COM and whatever
 * follows the end-of-image marker; PNG eXIf/tEXt/zTXt/iTXt/tIME; WebP EXIF/XMP), leaving
 * everything else as it arrived: a truncated file stays truncated, a JPEG whose structure
 * breaks off keeps its readable part. Of a format this code cannot parse (HEIC, TIFF, …),
 * which may hold EXIF anywhere, only the first UNKNOWN_PREFIX_BYTES are kept: enough to see
 * what was sent. The result is then capped at `maxBytes`. Pure.
 */
import { sniffImageFormat } from './image-header.js';
import { cutJpegMetadata, cutPngMetadata, cutWebpMetadata } from './metadata-cut.js';

export const UNKNOWN_PREFIX_BYTES = 64;

export interface QuarantineBytes {
  bytes: Buffer;
  /** What was changed, for the quarantine entry's detail. */
  note: string;
}

export function quarantineBytes(bytes: Uint8Array, maxBytes: number): QuarantineBytes {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = sniffImageFormat(b);
  let kept: Buffer;
  let note: string;
  if (format === 'jpeg') [kept, note] = [cutJpegMetadata(b).bytes, 'JPEG metadata segments removed'];
  else if (format === 'png') [kept, note] = [cutPngMetadata(b), 'PNG metadata chunks removed'];
  else if (format === 'webp') [kept, note] = [cutWebpMetadata(b), 'WebP metadata chunks removed'];
  else [kept, note] = [b.subarray(0, UNKNOWN_PREFIX_BYTES), `unknown format: first ${UNKNOWN_PREFIX_BYTES} bytes kept`];
  if (kept.length > maxBytes) {
    note += `; first ${maxBytes} of ${kept.length} bytes kept`;
    kept = kept.subarray(0, maxBytes);
  }
  return { bytes: Buffer.from(kept), note: `${note} (${b.length} bytes received)` };
}
