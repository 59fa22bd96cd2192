/**
 * The return-verification stage: photos in, verdict and events out.
 *
 *   begin (per upload)  the gate lets one upload of a return in at a time (return-gate.ts).
 *   prepare (per photo, as it arrives)  header by magic bytes → pixel limit → one small sharp
 *       decode: EXIF read, tensor, pHash; the JPEG to store with its metadata cut
 *       (preprocess.ts) → its write to a staging folder starts (photo-store.ts) → both models
 *       on the tensor (loaded once, shared). The photo routes prepare a photo while the next one
 *       is still being received. A refused photo is quarantined (metadata cut,
 *       quarantine-bytes.ts) and fails with a coded EdgeError.
 *   verify (per return)  fraud features of every photo against the known hashes and the
 *       vehicle's last position → parking check → assessment
 *       and verdict (pure, return-assessment.ts) → ReturnVerified (+ FraudDetected) → the
 *       staged photos put in place and the events to the buffer, side by side → the return and
 *       its hashes to the vision store → the answer.
 *   abandon  an upload that was not verified leaves no photo behind.
 * The answer is given only after the events are committed: a verdict the app saw is never lost.
 * If storing photos or events fails, nothing is recorded as verified and the upload can be
 * retried; the event ids are the same on the retry (return-events.ts).
 */
import type { Logger } from 'pino';
import type { RecordBuffer } from '../../buffer/buffer.js';
import { EdgeError, type EdgeErrorCode } from '../../errors.js';
import { assessPhotoFraud, type FraudThresholds } from '../fraud/fraud-features.js';
import type { ReturnArea } from './geofence.js';
import type { VerdictPolicy } from './verdict-policy.js';
import type { VisionMetrics } from '../metrics.js';
import { scoreDamage, scoreScreen, type DamageScores, type ReturnModels } from '../models/models.js';
import { readImageHeader } from '../photos/image-header.js';
import { preparePhoto, type PreparedPhoto } from '../photos/preprocess.js';
import { quarantineBytes } from '../photos/quarantine-bytes.js';
import type { KnownPhotoHash, SavedPhoto, VisionStore } from '../store/vision-store.js';
import type { PhotoStore, StagedPhotos } from './photo-store.js';
import { toReturnAnswer, type ReturnAnswer } from './return-answer.js';
import { assessReturn, checkParking, usablePosition, type DamageThresholds, type PhotoScores } from './return-assessment.js';
import { buildReturnEvents, type ModelTrace, type ReturnSubject } from './return-events.js';
import type { VehiclePositions } from './vehicle-positions.js';

export interface ReturnRequest extends ReturnSubject {
  /** When the return happened (the upload's receipt), ms since epoch: EXIF times are judged against it. */
  returnAt: number;
}

/** A photo ready for the verdict: preprocessed and scored by both models (its tensor went back for the next photo). */
export interface CheckedPhoto extends Omit<PreparedPhoto, 'tensor' | 'tensorShape'> {
  damage: DamageScores;
  screen: number;
  /** Seconds both models took on it. */
  inferSeconds: number;
}

export interface ReturnVerifier {
  /** One upload of a return; the caller lets one at a time in per return (return-gate.ts). */
  begin(returnId: string): ReturnUpload;
  /** The answer an already verified return got, as it was first sent. */
  storedAnswer(returnId: string): ReturnAnswer | undefined;
}

export interface ReturnUpload {
  /** Checks, preprocesses and scores one uploaded photo, and starts writing its stored copy; a refused one is quarantined and throws. */
  prepare(bytes: Uint8Array, context: { index: number; receivedAt: number }): Promise<CheckedPhoto>;
  /** The verdict on the photos prepared (all of them, in order). */
  verify(request: ReturnRequest, photos: readonly CheckedPhoto[]): Promise<ReturnAnswer>;
  /** Removes the photos written for an upload that was not verified; after verify, nothing. Never fails. */
  abandon(): Promise<void>;
}

export interface ReturnVerifierOptions {
  nodeId: string;
  models: ReturnModels;
  /** Versions and thresholds named in every verdict and event. */
  trace: ModelTrace;
  thresholds: { fraud: FraudThresholds; damage: DamageThresholds; verdict: VerdictPolicy };
  returnAreas: readonly ReturnArea[];
  /** A vehicle position older than this at the return is stale. */
  maxPositionAgeMs: number;
  /** Photos declaring more pixels are refused before decoding. */
  maxPixels: number;
  /** A refused photo keeps at most this many bytes in quarantine. */
  quarantineMaxBytes: number;
  store: VisionStore;
  positions: Pick<VehiclePositions, 'get'>;
  photos: PhotoStore;
  buffer: Pick<RecordBuffer, 'append' | 'quarantine'>;
  metrics: VisionMetrics;
  logger: Logger;
  /** Called after a return's photos were stored (retention runs then). */
  onStored?: () => void;
  now?: () => number;
}

const REFUSAL_CODES = {
  image_unsupported: 'FW_VISION_IMAGE_UNSUPPORTED',
  image_truncated: 'FW_VISION_IMAGE_TRUNCATED',
  image_corrupt: 'FW_VISION_IMAGE_INVALID',
  image_too_large: 'FW_VISION_IMAGE_TOO_LARGE',
} as const satisfies Record<string, EdgeErrorCode>;
type PhotoRefusal = keyof typeof REFUSAL_CODES;

/** Spare model inputs kept: the photos of two uploads in flight at once. */
const MAX_SPARE_TENSORS = 8;

export function createReturnVerifier(options: ReturnVerifierOptions): ReturnVerifier {
  const { models, store, metrics, logger, thresholds } = options;
  const now = options.now ?? Date.now;
  const inputSize = models.damage.inputSize;

  async function refuse(reason: PhotoRefusal, detail: string, bytes: Uint8Array, context: { returnId: string; index: number; receivedAt: number }): Promise<never> {
    const kept = quarantineBytes(bytes, options.quarantineMaxBytes);
    const where = `return ${context.returnId} photo ${context.index}`;
    await options.buffer
      .quarantine({ receivedAt: context.receivedAt, reason, detail: `${where}: ${detail}; ${kept.note}`, source: { kind: 'return', id: context.returnId }, bytes: kept.bytes })
      .catch((error: unknown) => logger.error({ event: 'vision_quarantine_failed', err: error, returnId: context.returnId }, 'vision_quarantine_failed'));
    logger.info({ event: 'vision_photo_refused', reason, detail, returnId: context.returnId, photo: context.index }, 'vision_photo_refused');
    throw new EdgeError(REFUSAL_CODES[reason], `${where}: ${detail}`);
  }

  // Model inputs (590 KB each at 256x192) are reused: one per photo between its decode and the
  // end of its models, kept for the next photo. Fresh ones per photo made V8 run a full
  // mark-compact every few returns to account for them (docs/edge.md, photo-verdict benchmark).
  const spareTensors: Float32Array[] = [];
  const tensorValues = 3 * inputSize.width * inputSize.height;

  /** Both models, as soon as the photo is prepared (overlapping the next photo's decode). */
  async function check(photo: PreparedPhoto): Promise<CheckedPhoto> {
    const started = performance.now();
    const { tensor, tensorShape: _shape, ...prepared } = photo;
    const [damage, screen] = await Promise.all([scoreDamage(models.damage, tensor), scoreScreen(models.screen, tensor)]);
    if (spareTensors.length < MAX_SPARE_TENSORS) spareTensors.push(tensor);
    return { ...prepared, damage, screen, inferSeconds: (performance.now() - started) / 1000 };
  }

  async function prepare(staged: StagedPhotos, bytes: Uint8Array, context: { returnId: string; index: number; receivedAt: number }): Promise<CheckedPhoto> {
    const header = readImageHeader(bytes);
    if (!header.ok) return refuse(header.reason, header.detail, bytes, context);
    const { format, width, height } = header.value;
    if (width * height > options.maxPixels) {
      return refuse('image_too_large', `${format} declares ${width}x${height} = ${width * height} pixels, limit ${options.maxPixels}`, bytes, context);
    }
    let prepared: PreparedPhoto;
    try {
      prepared = await preparePhoto(bytes, inputSize, { maxInputPixels: options.maxPixels, tensor: spareTensors.pop() ?? new Float32Array(tensorValues) });
    } catch (error) {
      if (error instanceof EdgeError && error.code === 'FW_VISION_IMAGE_TRUNCATED') return refuse('image_truncated', error.message, bytes, context);
      if (!(error instanceof EdgeError) || error.code !== 'FW_VISION_IMAGE_INVALID') throw error;
      return refuse('image_corrupt', error.message, bytes, context);
    }
    // On disk while the models run and later photos are received.
    staged.write(context.index, prepared.storedJpeg);
    return check(prepared);
  }

  async function verify(staged: StagedPhotos, request: ReturnRequest, photos: readonly CheckedPhoto[]): Promise<ReturnAnswer> {
    const started = performance.now();
    const position = options.positions.get(request.vehicleId);
    const usable = usablePosition(position, request.returnAt, options.maxPositionAgeMs);
    const parking = checkParking(position, request.returnAt, options.returnAreas, options.maxPositionAgeMs);
    // Earlier returns' photos, and earlier photos of this one (the same photo sent as two sides).
    // A repeated upload of this return must not find its own first attempt.
    const known: KnownPhotoHash[] = store.photoHashes().filter((h) => h.returnId !== request.returnId);
    const seenAt = now();
    const saved: SavedPhoto[] = [];
    const scored: PhotoScores[] = [];
    let inferSeconds = 0;
    for (const [index, photo] of photos.entries()) {
      const { damage, screen } = photo;
      inferSeconds += photo.inferSeconds;
      const fraud = assessPhotoFraud({
        screenScore: screen,
        hash: photo.hash,
        knownHashes: known,
        takenAt: photo.exif.takenAt,
        gps: photo.exif.gps,
        returnAt: request.returnAt,
        vehiclePosition: usable?.point ?? null,
      }, thresholds.fraud);
      const own = { photoId: `${request.returnId}/${index}`, returnId: request.returnId, hash: photo.hash, seenAt };
      known.push(own);
      saved.push({ ...own, orientation: photo.storedOrientation });
      scored.push({ damage, fraud });
    }
    const inferred = performance.now();
    // The models ran while the photos were received (inside prepare); counted here with the
    // fraud features, so infer stays the return's model time.
    metrics.stageSeconds.observe({ stage: 'infer' }, inferSeconds + (inferred - started) / 1000);

    const assessment = assessReturn(scored, parking, thresholds);
    const verifiedAt = now();
    const events = buildReturnEvents({ nodeId: options.nodeId, subject: request, assessment, photoCount: photos.length, models: options.trace, verifiedAt });
    const [stored, committed] = await Promise.allSettled([
      staged.commit(),
      options.buffer.append(events),
    ]);
    if (committed.status === 'rejected') {
      if (stored.status === 'fulfilled') await options.photos.remove(request.returnId).catch(() => undefined);
      throw committed.reason;
    }
    if (stored.status === 'rejected') throw stored.reason;
    metrics.stageSeconds.observe({ stage: 'commit' }, (performance.now() - inferred) / 1000);

    const answer = toReturnAnswer({ request, assessment, photos, events, models: options.trace, verifiedAt });
    store.saveReturn({ returnId: request.returnId, bookingId: request.bookingId, vehicleId: request.vehicleId, verifiedAt, answer, photoBytes: stored.value }, saved);
    metrics.returns.inc({ verdict: assessment.verdict });
    metrics.photos.inc(photos.length);
    if (assessment.fraud.suspected) for (const reason of assessment.fraud.reasons) metrics.fraud.inc({ reason });
    logger.info({
      event: 'vision_return_verified', returnId: request.returnId, vehicleId: request.vehicleId, verdict: assessment.verdict,
      reasons: assessment.reasons, photos: photos.length, ms: Math.round(performance.now() - started),
    }, 'vision_return_verified');
    options.onStored?.();
    return answer;
  }

  return {
    begin(returnId) {
      const staged = options.photos.stage(returnId);
      let verified = false;
      return {
        prepare: (bytes, { index, receivedAt }) => prepare(staged, bytes, { returnId, index, receivedAt }),
        async verify(request, photos) {
          const answer = await verify(staged, request, photos);
          verified = true;
          return answer;
        },
        async abandon() {
          // A leftover staging folder is removed by the sweep at the next start.
          if (!verified) await staged.discard().catch((error: unknown) => logger.warn({ event: 'vision_staging_left', err: error, returnId }, 'vision_staging_left'));
        },
      };
    },

    storedAnswer(returnId) {
      return store.findReturn(returnId)?.answer as ReturnAnswer | undefined;
    },
  };
}
