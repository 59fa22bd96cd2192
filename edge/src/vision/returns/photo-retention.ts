/**
 * Retention of stored return photos and of what the vision store remembers.
 *
 * Photos stay on the edge (they are never uplinked): a return's photos are deleted once older
 * than `photoMaxAgeMs`, and, while the photos on disk together exceed `photoMaxBytes`, the
 * oldest returns' photos go first — a whole return at a time. The decision is the pure
 * `choosePhotosToPrune`; `createPhotoRetention` runs it at start, every `intervalMs` and after
 * each stored return, deletes the folders, then marks them pruned in the store. A pass reads the
 * oldest stored returns only up to the first it keeps, beside the running total of stored bytes
 * and index look-ups of what to forget: it costs what it prunes, not the months of history.
 * Perceptual hashes and return rows are kept for `hashMaxAgeMs` (longer than the photos: a
 * re-used photo from a return whose photos are gone is still recognised; a hash is not a photo).
 */
import type { Logger } from 'pino';
import type { StoredPhotoSet, VisionStore } from '../store/vision-store.js';
import type { PhotoStore } from './photo-store.js';

export interface RetentionPolicy {
  photoMaxAgeMs: number;
  photoMaxBytes: number;
  hashMaxAgeMs: number;
}

export interface PruneChoice {
  returnId: string;
  reason: 'age' | 'bytes';
  photoBytes: number;
}

/**
 * `sets` oldest first, as VisionStore.storedPhotoSets gives them, and `storedBytes` their total:
 * taken only until the first set kept (the rest is younger and fits), so a pass costs what it
 * prunes, whatever the history.
 */
export function choosePhotosToPrune(sets: Iterable<StoredPhotoSet>, storedBytes: number, now: number, policy: Pick<RetentionPolicy, 'photoMaxAgeMs' | 'photoMaxBytes'>): PruneChoice[] {
  const chosen: PruneChoice[] = [];
  let total = storedBytes;
  for (const set of sets) {
    const expired = now - set.verifiedAt > policy.photoMaxAgeMs;
    if (!expired && total <= policy.photoMaxBytes) break;
    chosen.push({ returnId: set.returnId, reason: expired ? 'age' : 'bytes', photoBytes: set.photoBytes });
    total -= set.photoBytes;
  }
  return chosen;
}

export interface PhotoRetention {
  /** One pass; resolves with the bytes still stored. Passes never overlap. */
  run(): Promise<number>;
  close(): Promise<void>;
}

export interface PhotoRetentionOptions {
  store: Pick<VisionStore, 'storedPhotoSets' | 'storedPhotoBytes' | 'markPhotosPruned' | 'forgetBefore'>;
  photos: Pick<PhotoStore, 'remove'>;
  policy: RetentionPolicy;
  intervalMs: number;
  now?: () => number;
  onPass?: (result: { pruned: readonly PruneChoice[]; storedBytes: number; forgotten: { returns: number; hashes: number } }) => void;
  logger?: Logger;
}

export function createPhotoRetention(options: PhotoRetentionOptions): PhotoRetention {
  const now = options.now ?? Date.now;
  let running: Promise<number> | undefined;

  async function pass(): Promise<number> {
    const at = now();
    const pruned = choosePhotosToPrune(options.store.storedPhotoSets(), options.store.storedPhotoBytes(), at, options.policy);
    for (const choice of pruned) await options.photos.remove(choice.returnId);
    options.store.markPhotosPruned(pruned.map((c) => c.returnId), at);
    const forgotten = options.store.forgetBefore(at - options.policy.hashMaxAgeMs);
    const storedBytes = options.store.storedPhotoBytes();
    options.onPass?.({ pruned, storedBytes, forgotten });
    if (pruned.length > 0) options.logger?.info({ event: 'vision_photos_pruned', returns: pruned.length, storedBytes }, 'vision_photos_pruned');
    return storedBytes;
  }

  const run = (): Promise<number> => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    run().catch((error: unknown) => options.logger?.error({ event: 'vision_retention_failed', err: error }, 'vision_retention_failed'));
  }, options.intervalMs).unref();

  return {
    run,
    async close() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
