/**
 * What the vision stage remembers between returns and across restarts, behind one small
 * interface: the perceptual hashes of every photo seen (re-use is found across returns), each
 * verified return with the answer it got (a repeated upload is answered the same, not verified
 * twice) and the size of its stored photos (retention), and each vehicle's last reported
 * position (parking and GPS checks). No EXIF and no photo bytes are kept here.
 * Implementation: sqlite-vision-store.ts.
 */
import type { PerceptualHash } from '../photos/perceptual-hash.js';

export interface KnownPhotoHash {
  /** `{returnId}/{index}`. */
  photoId: string;
  returnId: string;
  hash: PerceptualHash;
  /** ms since epoch. */
  seenAt: number;
}

/** A photo of a verified return, as saved with it. */
export interface SavedPhoto extends KnownPhotoHash {
  /**
   * EXIF orientation (1–8) to apply when showing the stored file, whose metadata (EXIF with its
   * orientation tag) was cut out; 1 when the file is stored upright. Absent: not recorded.
   */
  orientation?: number;
}

export interface VerifiedReturn {
  returnId: string;
  bookingId: string;
  vehicleId: string;
  verifiedAt: number;
  /** The answer the app got, replayed verbatim when the same return is uploaded again. */
  answer: unknown;
  /** Bytes of the return's stored photos on disk (0 once pruned). */
  photoBytes: number;
}

export interface StoredPosition {
  vehicleId: string;
  lat: number;
  lon: number;
  /** Device time of the telemetry that carried it. */
  reportedAt: number;
  receivedAt: number;
}

export interface StoredPhotoSet {
  returnId: string;
  verifiedAt: number;
  photoBytes: number;
}

export interface VisionStore {
  /** Every known photo hash, oldest first. */
  photoHashes(): readonly KnownPhotoHash[];
  findReturn(returnId: string): VerifiedReturn | undefined;
  /** Commits the return and its photos' hashes (and orientations) in one transaction. */
  saveReturn(entry: VerifiedReturn, photos: readonly SavedPhoto[]): void;
  /**
   * The orientation of each stored photo of a return, by photo id: what a viewer applies to
   * `{returnId}/{n}.jpg`. Null for photos saved before orientations were recorded (stored upright).
   */
  photoOrientations(returnId: string): Map<string, number | null>;
  positions(): StoredPosition[];
  /** Upserts; a position older (by device time) than the stored one is ignored. */
  savePositions(positions: readonly StoredPosition[]): void;
  /**
   * Returns whose photos are still on disk, oldest first, read as they are taken: retention
   * stops at the first it keeps, so a pass reads what it prunes and one more, not the history.
   * Take them before any other call on the store, or to the end.
   */
  storedPhotoSets(): IterableIterator<StoredPhotoSet>;
  /** Bytes of the photos on disk over all returns (kept as rows change, not summed per call). */
  storedPhotoBytes(): number;
  markPhotosPruned(returnIds: readonly string[], at: number): void;
  /** Forgets returns and hashes verified / seen before `cutoff`; returns how many of each. */
  forgetBefore(cutoff: number): { returns: number; hashes: number };
  close(): void;
}
