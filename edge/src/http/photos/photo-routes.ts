/**
 * The photo upload API for the mobile app, as one fastify plugin:
 *
 *   POST /v1/returns/{returnId}/photos
 *   Authorization: Bearer <return token>          (return-token.ts)
 *   Content-Type: multipart/form-data             one file part per photo (any field name),
 *                                                 optional text fields bookingId / vehicleId /
 *                                                 tripId, which must match the token
 *   200 → the verdict (vision/returns/return-answer.ts); a repeated upload of a verified return gets
 *         the same answer with `replayed: true`. Errors → upload-errors.ts.
 *
 * The token is checked in onRequest, before a byte of the body is read. Photos are read one at
 * a time as they stream in; each is checked (magic bytes, size, pixels), preprocessed and scored
 * while the next one is read. The first refused photo (by index) ends the upload and the answer
 * names it; no further part is read once a photo was refused. Type is judged by content, never
 * by the declared content type or file name.
 */
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { EdgeError } from '../../errors.js';
import { RETURN_ANSWER_SCHEMA } from '../../vision/returns/return-answer.js';
import type { CheckedPhoto } from '../../vision/returns/return-verification.js';
import type { VisionStage } from '../../vision/vision.js';
import { bearerToken, verifyReturnToken, type ReturnClaims } from './return-token.js';
import { fromMultipartError, UPLOAD_ERROR_SCHEMA, uploadErrorAnswer } from './upload-errors.js';

export interface PhotoRoutesOptions {
  vision: Pick<VisionStage, 'verifier' | 'gate' | 'metrics'>;
  /** The HS256 secret return tokens are signed with. */
  returnTokenSecret: string;
  limits: { maxPhotos: number; maxPhotoBytes: number };
  now?: () => number;
}

const RETURN_PHOTOS_PATH = '/v1/returns/:returnId/photos';
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
    metrics.refused.inc({ reason: answer.body.reason });
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
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) throw new EdgeError('FW_UPLOAD_UNAUTHORIZED', 'Authorization: Bearer <return token> required');
    const { returnId } = request.params as { returnId: string };
    claimsOf.set(request, verifyReturnToken(options.returnTokenSecret, token, returnId, now()));
  });

  app.post(RETURN_PHOTOS_PATH, {
    schema: {
      params: { type: 'object', required: ['returnId'], properties: { returnId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } } },
      response: { 200: RETURN_ANSWER_SCHEMA, '4xx': UPLOAD_ERROR_SCHEMA, '5xx': UPLOAD_ERROR_SCHEMA },
    },
  }, async (request, reply) => {
    const started = performance.now();
    const receivedAt = now();
    const claims = claimsOf.get(request) as ReturnClaims;
    const previous = verifier.previousAnswer(claims.returnId);
    if (previous !== undefined) {
      if (previous.bookingId !== claims.bookingId) return refuse(reply, new EdgeError('FW_UPLOAD_FORBIDDEN', 'the return was verified for another booking'));
      metrics.replayed.inc();
      return previous;
    }
    let release: (() => void) | undefined;
    let photo: number | undefined;
    // Photos being prepared while the next part is received; awaited in order below.
    const pending: Array<Promise<CheckedPhoto>> = [];
    try {
      release = await gate.enter(claims.returnId);
      let refused = false;
      for await (const part of readParts(request)) {
        if (part.type === 'field') {
          checkField(part.fieldname, part.value, claims);
          continue;
        }
        photo = pending.length;
        const bytes = await part.toBuffer().catch((error: unknown) => Promise.reject(fromMultipartError(error)));
        const checked = verifier.prepare(bytes, { returnId: claims.returnId, index: photo, receivedAt });
        checked.catch(() => { refused = true; });
        pending.push(checked);
        photo = undefined;
        if (refused) break;
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
      const answer = await verifier.verify({ returnId, bookingId, vehicleId, ...(tripId ? { tripId } : {}), returnAt: receivedAt }, prepared);
      metrics.verdictSeconds.observe((performance.now() - started) / 1000);
      return answer;
    } catch (error) {
      // A photo refused while later parts were read came first in the body: its refusal wins.
      const settled = await Promise.allSettled(pending);
      const first = settled.findIndex((s) => s.status === 'rejected');
      if (first >= 0 && first < (photo ?? pending.length)) return refuse(reply, (settled[first] as PromiseRejectedResult).reason, first);
      return refuse(reply, error, photo);
    } finally {
      // No photo of this return is still being worked on once it leaves the gate.
      await Promise.allSettled(pending);
      release?.();
    }
  });
};

type Part = { type: 'field'; fieldname: string; value: unknown } | { type: 'file'; toBuffer(): Promise<Buffer> };

/** The request's parts, with the multipart layer's errors turned into coded EdgeErrors. */
async function* readParts(request: FastifyRequest): AsyncGenerator<Part> {
  let parts: AsyncIterableIterator<Part>;
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
    if (next.done === true) return;
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
