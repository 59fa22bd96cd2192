/**
 * The EXIF fields fraud checks need (capture time, GPS position, orientation), read from the raw
 * EXIF block: a JPEG's own APP1 segment (jpegExifBlock), or what sharp's metadata() returns for
 * PNG and WebP. Pure; a malformed block reads as "no EXIF" rather than failing the photo,
 * because the photo itself may still be fine.
 *
 * Capture time: DateTimeOriginal with OffsetTimeOriginal applied; a DateTimeOriginal without an
 * offset tag is taken as UTC (phones that omit the offset mostly write UTC or the site's zone,
 * and the staleness window is wide enough that a zone offset alone does not decide).
 */
import exifReader from 'exif-reader';
import type { GeoPoint } from '../returns/geofence.js';
import { jpegSegmentAt } from './image-header.js';

export interface PhotoExif {
  takenAt: Date | null;
  gps: GeoPoint | null;
  orientation: number | null;
}

export const NO_EXIF: Readonly<PhotoExif> = Object.freeze({ takenAt: null, gps: null, orientation: null });

export function readPhotoExif(block: Buffer | undefined): PhotoExif {
  if (block === undefined || block.length === 0) return { ...NO_EXIF };
  let tags: ReturnType<typeof exifReader>;
  try {
    tags = exifReader(block);
  } catch {
    return { ...NO_EXIF };
  }
  return {
    takenAt: captureTime(tags.Photo?.DateTimeOriginal, tags.Photo?.OffsetTimeOriginal),
    gps: position(tags.GPSInfo),
    orientation: typeof tags.Image?.Orientation === 'number' ? tags.Image.Orientation : null,
  };
}

/**
 * The EXIF block of a JPEG as libvips takes it (so as sharp's metadata() returns it, and as
 * sharp's rotate() reads the orientation): the payload of the first APP1 segment starting "Exif"
 * before the scan. Read from the bytes, it spares each photo a libvips header read beside its
 * decode.
 */
export function jpegExifBlock(b: Buffer): Buffer | undefined {
  for (let at = 2; ;) {
    const segment = jpegSegmentAt(b, at);
    if (typeof segment === 'string' || segment.marker === 0xda) return undefined;
    if (segment.marker === 0xe1 && segment.end - segment.start > 8 && b.toString('latin1', segment.start + 4, segment.start + 8) === 'Exif') {
      return b.subarray(segment.start + 4, segment.end);
    }
    at = segment.end;
  }
}

function captureTime(local: unknown, offset: unknown): Date | null {
  if (!(local instanceof Date) || Number.isNaN(local.getTime())) return null;
  const match = typeof offset === 'string' ? /^([+-])(\d{2}):(\d{2})$/.exec(offset.trim()) : null;
  if (match === null) return local;
  const minutes = (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
  return new Date(local.getTime() - minutes * 60_000);
}

function position(gps: ReturnType<typeof exifReader>['GPSInfo']): GeoPoint | null {
  if (gps === undefined) return null;
  const lat = degrees(gps.GPSLatitude, gps.GPSLatitudeRef, 'S');
  const lon = degrees(gps.GPSLongitude, gps.GPSLongitudeRef, 'W');
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { lat, lon };
}

function degrees(dms: unknown, ref: unknown, negative: string): number | null {
  if (!Array.isArray(dms) || dms.length !== 3 || !dms.every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  const [d, m, s] = dms as [number, number, number];
  const value = d + m / 60 + s / 3600;
  return ref === negative ? -value : value;
}
