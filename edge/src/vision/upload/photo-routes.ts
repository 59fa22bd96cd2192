/**
 * The photo upload API for the mobile app, as one fastify plugin:
 *
 *   POST /v1/returns/{returnId}/photos
 *   Authorization: Bearer <return token>          (return-token.ts)
 *   Content-Type: multipart/form-data             one file part per photo (any field name),
 *                                                 optional text fields bookingId / vehicleId /
 *                                                 tripId, which must match the token
 *   200 → the verdict (vision/returns/return-answer.ts); a repeated upload of a verified return (the
 *         app retrying after a lost answer) gets the stored answer with `replayed: true`, and
 *         nothing is verified or committed again. Errors → upload-errors.ts.
 *
 *   GET /v1/returns/{returnId}/verdict             same token
 *   200 → the stored answer, as first sent; 404 return_unknown before the return was verified.
 *
 * The token is checked in onRequest, before a byte of the body is read. Photos are read one at
 * a time as they stream in; each is checked (magic bytes, size, pixels), preprocessed and scored
 * while the next one is read. The first refused photo (by index) ends the upload and the answer
 * names it; no further part is read once a photo was refused. Type is judged by content, never
 * by the declared content type or file name.
 *
 * A refusal sent before the multipart body was read to its end leaves the rest of the body
 * unread on the connection (the multipart parser holds it; Node does not drain it): such an
 * answer says `Connection: close` and the socket is destroyed once it is sent, so a refused
 * upload never holds a connection (nor the agent's shutdown) open.
 */
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { EdgeError } from '../../errors.js';
import type { ReturnAnswer } from '../returns/return-answer.js';
import type { CheckedPhoto, ReturnUpload } from '../returns/return-verification.js';
import type { VisionStage } from '../vision.js';
import { bearerToken, verifyReturnToken, type ReturnClaims, type ReturnTokenKeys } from './return-token.js';
import { RETURN_ID_PATTERN, UPLOAD_ROUTE_CONFIG, UPLOAD_ROUTE_SCHEMA, VERDICT_ROUTE_SCHEMA } from './photo-api-docs.js';
import { fromMultipartError, uploadErrorAnswer } from './upload-errors.js';

export interface PhotoRoutesOptions {
  vision: Pick<VisionStage, 'verifier' | 'gate' | 'metrics'>;
  /** What return tokens are verified with (the booking system's public keys; HS256 only as legacy). */
  returnTokens: ReturnTokenKeys;
  limits: { maxPhotos: number; maxPhotoBytes: number };
  now?: () => number;
}

const RETURN_PHOTOS_PATH = '/v1/returns/:returnId/photos';
const RETURN_VERDICT_PATH = '/v1/returns/:returnId/verdict';
/** Checked in onRequest, before the token (the route schemas say the same for the document). */
const RETURN_ID = new RegExp(RETURN_ID_PATTERN);
const CHECKED_FIELDS = ['bookingId', 'vehicleId', 'tripId'] as const;

export const photoRoutes: FastifyPluginAsync<PhotoRoutesOptions> = async (app, options) => {
  const { verifier, gate, metrics } = options.vision;
  const now = options.now ?? Date.now;
  const claimsOf = new WeakMap<FastifyRequest, ReturnClaims>();

  await app.register(multipart, {
    limits: {
      files: options.limits.maxPhotos,
      fileSize: options.limits.maxPhotoBytes,
      fields: CHECKED_FIELDS.length,
      fieldSize: 256,
      parts: options.limits.maxPhotos + CHECKED_FIELDS.length,
      headerPairs: 32,
    },
  });

  function refuse(reply: FastifyReply, error: unknown, photo?: number): FastifyReply {
    const answer = uploadErrorAnswer(error, photo);
    metrics.refused.inc({ reason: answer.body.error.reason });
    if (answer.status === 500) reply.log.error({ event: 'vision_upload_failed', err: error }, 'vision_upload_failed');
    if (answer.retryAfterS !== undefined) void reply.header('retry-after', String(answer.retryAfterS));
    return reply.code(answer.status).send(answer.body);
  }

  // Validation errors, unknown media types and refusals raised in hooks land here.
  app.setErrorHandler((error: unknown, _request, reply) => {
    const status = (error as { statusCode?: unknown }).statusCode;
    const clientError = !(error instanceof EdgeError) && typeof status === 'number' && status >= 400 && status < 500;
    return refuse(reply, clientError ? new EdgeError('FW_UPLOAD_INVALID', (error as Error).message, { cause: error }) : error);
  });

  app.addHook('onRequest', async (request) => {
    // A malformed id is a malformed request whoever sends it: 400 before the token is judged.
    const { returnId: id } = request.params as { returnId?: unknown };
    if (typeof id !== 'string' || !RETURN_ID.test(id)) throw new EdgeError('FW_UPLOAD_INVALID', `returnId must match ${RETURN_ID_PATTERN}`);
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) throw new EdgeError('FW_UPLOAD_UNAUTHORIZED', 'Authorization: Bearer <return token> required');
    const { returnId } = request.params as { returnId: string };
    claimsOf.set(request, await verifyReturnToken(options.returnTokens, token, returnId, now()));
  });

  /** The answer stored for the token's return; refused when it was verified for another booking. */
  function storedAnswerFor(claims: ReturnClaims): ReturnAnswer | undefined {
    const stored = verifier.storedAnswer(claims.returnId);
    if (stored !== undefined && stored.bookingId !== claims.bookingId) throw new EdgeError('FW_UPLOAD_FORBIDDEN', 'the return was verified for another booking');
    return stored;
  }

  app.get(RETURN_VERDICT_PATH, { schema: VERDICT_ROUTE_SCHEMA }, async (request) => {
    const stored = storedAnswerFor(claimsOf.get(request) as ReturnClaims);
    if (stored === undefined) throw new EdgeError('FW_UPLOAD_RETURN_UNKNOWN', 'no verdict for this return yet: upload its photos first');
    return stored;
  });

  app.post(RETURN_PHOTOS_PATH, { schema: UPLOAD_ROUTE_SCHEMA, config: UPLOAD_ROUTE_CONFIG }, async (request, reply) => {
    const started = performance.now();
    const receivedAt = now();
    const claims = claimsOf.get(request) as ReturnClaims;
    const previous = storedAnswerFor(claims);
    if (previous !== undefined) {
      metrics.replayed.inc();
      return { ...previous, replayed: true };
    }
    let release: (() => void) | undefined;
    let upload: ReturnUpload | undefined;
    let photo: number | undefined;
    // Photos being prepared while the next part is received; awaited in order below.
    const pending: Array<Promise<CheckedPhoto>> = [];
    const body: BodyState = { started: false, done: false };
    try {
      release = await gate.enter(claims.returnId);
      upload = verifier.begin(claims.returnId);
      // Settles once a photo is refused: waiting for the next part or a part's bytes stops then,
      // so a refusal is answered at once, also when the client stalls.
      let refused = false;
      let onRefused: () => void = () => undefined;
      const refusal = new Promise<typeof REFUSED>((resolve) => {
        onRefused = () => {
          refused = true;
          resolve(REFUSED);
        };
      });
      const parts = readParts(request, body);
      for (;;) {
        const next = await untilRefused(parts.next(), refusal);
        if (next === REFUSED || next.done === true) break;
        const part = next.value;
        if (part.type === 'field') {
          checkField(part.fieldname, part.value, claims);
          continue;
        }
        // A photo refused before this part's bytes were read: they are neither read nor decoded.
        if (refused) break;
        photo = pending.length;
        const bytes = await untilRefused(part.toBuffer().catch((error: unknown) => Promise.reject(fromMultipartError(error))), refusal);
        if (bytes === REFUSED || refused) {
          photo = undefined;
          break;
        }
        const checked = upload.prepare(bytes, { index: photo, receivedAt });
        checked.catch(onRefused);
        pending.push(checked);
        photo = undefined;
      }
      const prepared: CheckedPhoto[] = [];
      for (const [index, checked] of pending.entries()) {
        photo = index;
        prepared.push(await checked);
      }
      photo = undefined;
      if (prepared.length === 0) throw new EdgeError('FW_UPLOAD_NO_PHOTOS', 'the upload holds no photo (one file part per photo)');
      metrics.stageSeconds.observe({ stage: 'prepare' }, (performance.now() - started) / 1000);
      const { tripId, returnId, bookingId, vehicleId } = claims;
      const answer = await upload.verify({ returnId, bookingId, vehicleId, ...(tripId ? { tripId } : {}), returnAt: receivedAt }, prepared);
      metrics.verdictSeconds.observe((performance.now() - started) / 1000);
      return answer;
    } catch (error) {
      if (body.started && !body.done) closeAfterReply(request, reply);
      // A photo refused while later parts were read came first in the body: its refusal wins.
      const settled = await Promise.allSettled(pending);
      const first = settled.findIndex((s) => s.status === 'rejected');
      if (first >= 0 && first < (photo ?? pending.length)) return refuse(reply, (settled[first] as PromiseRejectedResult).reason, first);
      return refuse(reply, error, photo);
    } finally {
      // No photo of this return is still being worked on, nor left on disk unverified, once it leaves the gate.
      await Promise.allSettled(pending);
      await upload?.abandon();
      release?.();
    }
  });
};

type Part = { type: 'field'; fieldname: string; value: unknown } | { type: 'file'; toBuffer(): Promise<Buffer> };

const REFUSED = Symbol('refused');

/** `work`, unless a photo is refused first; a later failure of the abandoned work is ignored. */
function untilRefused<T>(work: Promise<T>, refusal: Promise<typeof REFUSED>): Promise<T | typeof REFUSED> {
  work.catch(() => undefined);
  return Promise.race([work, refusal]);
}

/** How far the multipart body was read: parsing started, and reached the closing boundary. */
interface BodyState { started: boolean; done: boolean }

/**
 * For an answer sent while the body is still partly unread: the multipart parser holds the
 * request stream, so Node will not drain it, and the client may still be sending (or stalled
 * on a full window). Say so and end the connection once the answer is out.
 */
function closeAfterReply(request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('connection', 'close');
  const socket = request.raw.socket;
  reply.raw.once('finish', () => socket.destroy());
  // The client may leave first; the socket goes with it either way.
  reply.raw.once('close', () => socket.destroy());
}

/** The request's parts, with the multipart layer's errors turned into coded EdgeErrors. */
async function* readParts(request: FastifyRequest, body: BodyState): AsyncGenerator<Part> {
  let parts: AsyncIterableIterator<Part>;
  body.started = true;
  try {
    parts = request.parts() as AsyncIterableIterator<Part>;
  } catch (error) {
    throw fromMultipartError(error);
  }
  for (;;) {
    let next: IteratorResult<Part>;
    try {
      next = await parts.next();
    } catch (error) {
      throw fromMultipartError(error);
    }
    if (next.done === true) {
      body.done = true;
      return;
    }
    yield next.value;
  }
}

function checkField(name: string, value: unknown, claims: ReturnClaims): void {
  if (!(CHECKED_FIELDS as readonly string[]).includes(name)) {
    throw new EdgeError('FW_UPLOAD_INVALID', `unknown field "${name}" (allowed: ${CHECKED_FIELDS.join(', ')} and photo files)`);
  }
  const expected = claims[name as (typeof CHECKED_FIELDS)[number]];
  if (value !== expected) throw new EdgeError('FW_UPLOAD_FORBIDDEN', `${name} disagrees with the return token`);
}
