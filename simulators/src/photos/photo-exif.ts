/**
 * EXIF for a synthetic photo in the string form sharp's `withExif` takes (libvips parses
 * rationals as "num/den" triplets). IFD2 is the Exif sub-IFD, IFD3 the GPS IFD.
 */
import type { Exif } from 'sharp';
import type { GpsPoint } from './photo-spec.js';

export function buildExif(takenAt: Date | undefined, gps: GpsPoint | undefined): Exif {
  const exif: Exif = { IFD0: { Make: 'fleetwire', Model: 'photo-simulator' } };
  if (takenAt !== undefined) {
    exif.IFD2 = { DateTimeOriginal: formatExifDate(takenAt), OffsetTimeOriginal: '+00:00' };
  }
  if (gps !== undefined) {
    exif.IFD3 = {
      GPSLatitudeRef: gps.lat >= 0 ? 'N' : 'S',
      GPSLatitude: toDms(Math.abs(gps.lat)),
      GPSLongitudeRef: gps.lon >= 0 ? 'E' : 'W',
      GPSLongitude: toDms(Math.abs(gps.lon)),
    };
  }
  return exif;
}

/** "YYYY:MM:DD HH:MM:SS" in UTC. */
export function formatExifDate(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}:${iso.slice(5, 7)}:${iso.slice(8, 10)} ${iso.slice(11, 19)}`;
}

/** Degrees, minutes and seconds as rationals; seconds to 1/10000 (about 3 mm). */
function toDms(value: number): string {
  const degrees = Math.floor(value);
  const minutesFloat = (value - degrees) * 60;
  const minutes = Math.floor(minutesFloat);
  const seconds = Math.round((minutesFloat - minutes) * 60 * 10000);
  return `${degrees}/1 ${minutes}/1 ${seconds}/10000`;
}
