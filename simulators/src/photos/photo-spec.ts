/**
 * What a synthetic return photo is made of, and the ground truth that comes back with it.
 * A spec plus its seed fixes every pixel: the same spec renders the same JPEG bytes.
 */

export const DAMAGE_KINDS = ['scratch', 'dent', 'crack'] as const;
export type DamageKind = (typeof DAMAGE_KINDS)[number];

/** EXIF orientations the generator writes (1 upright, 3 upside down, 6 / 8 rotated a quarter). */
export type PhotoOrientation = 1 | 3 | 6 | 8;

export interface GpsPoint {
  lat: number;
  lon: number;
}

export interface PhotoExifSpec {
  /** DateTimeOriginal, written in UTC with OffsetTimeOriginal "+00:00". */
  takenAt?: Date;
  gps?: GpsPoint;
  /** Default 1. The pixels are stored turned so that a viewer applying this tag sees the car upright. */
  orientation?: PhotoOrientation;
}

export interface PhotoSpec {
  /** Fixes the scene: car shape, colour, light, noise, damage placement. */
  seed: number;
  /** Default 256. */
  width?: number;
  /** Default 192. */
  height?: number;
  /** Damage to draw, one entry per mark (e.g. ['scratch', 'scratch', 'dent']). Default none. */
  damage?: readonly DamageKind[];
  /** A photo of a screen showing the car instead of the car itself. Default false. */
  screen?: boolean;
  /** No EXIF block at all when omitted. */
  exif?: PhotoExifSpec;
  /** JPEG quality; default drawn from the seed in 78–92. */
  quality?: number;
}

export interface DamageRegion {
  kind: DamageKind;
  /** Bounding box in upright image pixels (before any EXIF rotation of the stored pixels). */
  box: { x: number; y: number; width: number; height: number };
}

export interface PhotoLabels {
  seed: number;
  width: number;
  height: number;
  damaged: boolean;
  damage: Record<DamageKind, number>;
  regions: DamageRegion[];
  screen: boolean;
  bodyColour: string;
  side: 'left' | 'right';
  exif: {
    takenAt?: string;
    gps?: GpsPoint;
    orientation: PhotoOrientation;
  } | null;
}

export interface GeneratedPhoto {
  /** JPEG bytes, with EXIF when the spec asked for it. */
  jpeg: Buffer;
  labels: PhotoLabels;
}
