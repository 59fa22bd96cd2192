/**
 * The renter's mobile app at the end of each trip: it photographs the car (planReturn), asks the
 * booking system for the return's upload token (`returnToken`, signed by whoever holds the
 * edge's return-token secret) and uploads the photos to the edge's return-photo API
 * (`POST /v1/returns/{returnId}/photos`, docs/edge.md "Return photos"), one return at a time.
 * It tries again when the edge's error body says the upload may succeed later (`retryable`:
 * a return still being verified, a busy edge — after its Retry-After) or the connection failed,
 * and gives up on any other error (upload-answer.ts). It tallies the verdicts it gets back.
 */
import { generatePhoto } from '../photos/generate-photo.js';
import type { GpsPoint } from '../photos/photo-spec.js';
import { randomFor } from '../random/random.js';
import { planReturn, RETURN_INTENTS, type ReturnIntent, type ReturnRates } from './return-plan.js';
import { uploadStep } from './upload-answer.js';

export interface ReturnedTrip {
  tripId: string;
  bookingId: string;
  vehicleId: string;
  endPosition: GpsPoint;
}

export interface ReturnTokenClaims {
  returnId: string;
  bookingId: string;
  vehicleId: string;
  tripId: string;
  /** Expiry, seconds since the Unix epoch. */
  exp: number;
}

export interface MobileAppOptions {
  /** The edge agent's HTTP base URL, e.g. http://127.0.0.1:8080. */
  edgeUrl: string;
  returnToken(claims: ReturnTokenClaims): string | Promise<string>;
  seed: number;
  /** Photos per return, one per side. Default 4. */
  photosPerReturn?: number;
  /** Default { damage: 0.15, fraud: 0.1 }. */
  rates?: ReturnRates;
  /** Attempts per return while the edge answers a retryable error or none. Default 5. */
  maxAttempts?: number;
}

export type UploadOutcome = 'accepted' | 'review' | 'rejected' | 'refused' | 'failed';

export interface MobileAppStats {
  /** Returns planned, by what the renter did. */
  planned: Record<ReturnIntent, number>;
  /** Uploads answered, by verdict (`refused`: an error the edge marks not retryable; `failed`: no answer or a retryable error after every attempt). */
  outcomes: Record<UploadOutcome, number>;
  pending: number;
}

export interface MobileApp {
  /** Queues the return of a trip that just ended. */
  returnVehicle(trip: ReturnedTrip): void;
  stats(): MobileAppStats;
  /** Resolves once every queued return has been answered. */
  idle(): Promise<void>;
}

const TOKEN_LIFETIME_S = 3_600;

export function createMobileApp(options: MobileAppOptions): MobileApp {
  const rng = randomFor(options.seed, 'mobile-app');
  const photosPerReturn = options.photosPerReturn ?? 4;
  const rates = options.rates ?? { damage: 0.15, fraud: 0.1 };
  const maxAttempts = options.maxAttempts ?? 5;
  const planned = Object.fromEntries(RETURN_INTENTS.map((intent) => [intent, 0])) as Record<ReturnIntent, number>;
  const outcomes: Record<UploadOutcome, number> = { accepted: 0, review: 0, rejected: 0, refused: 0, failed: 0 };
  let pending = 0;
  let queue: Promise<void> = Promise.resolve();
  let lastPhoto: Buffer | undefined;

  async function upload(trip: ReturnedTrip): Promise<UploadOutcome> {
    const plan = planReturn(rng, { position: trip.endPosition, now: Date.now() }, photosPerReturn, rates);
    planned[plan.intent] += 1;
    const form = new FormData();
    for (const [side, photo] of plan.photos.entries()) {
      // The very first return has nothing to re-use yet: its photo is rendered like the others.
      const jpeg =
        photo.reuse && lastPhoto !== undefined
          ? lastPhoto
          : (await generatePhoto({ seed: photo.seed, exif: { takenAt: photo.takenAt, gps: photo.gps }, ...(photo.damage ? { damage: photo.damage } : {}), ...(photo.screen ? { screen: true } : {}) })).jpeg;
      if (!photo.reuse) lastPhoto = jpeg;
      form.append('photo', new Blob([jpeg], { type: 'image/jpeg' }), `side-${side}.jpg`);
    }
    const returnId = `RT-${trip.tripId}`;
    const token = await options.returnToken({ returnId, bookingId: trip.bookingId, vehicleId: trip.vehicleId, tripId: trip.tripId, exp: Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S });
    for (let attempt = 1; ; attempt += 1) {
      const response = await fetch(`${options.edgeUrl}/v1/returns/${encodeURIComponent(returnId)}/photos`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      }).catch(() => undefined);
      const body: unknown = response === undefined ? undefined : await response.json().catch(() => undefined);
      const step = uploadStep(response === undefined ? undefined : { status: response.status, retryAfter: response.headers.get('retry-after'), body });
      if (step.kind === 'verdict') return step.verdict as UploadOutcome;
      if (step.kind === 'refused') return 'refused';
      if (attempt >= maxAttempts) return 'failed';
      await new Promise((resolve) => setTimeout(resolve, step.afterS * 1000));
    }
  }

  return {
    returnVehicle(trip) {
      pending += 1;
      queue = queue.then(async () => {
        const outcome = await upload(trip).catch((): UploadOutcome => 'failed');
        outcomes[outcome] += 1;
        pending -= 1;
      });
    },
    stats: () => ({ planned: { ...planned }, outcomes: { ...outcomes }, pending }),
    idle: () => queue,
  };
}
