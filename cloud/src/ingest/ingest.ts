/**
 * `POST /v1/batches` — the server side of the uplink (docs/uplink.md), as a fastify plugin.
 *
 * Order of work for one request, and why:
 * 1. authenticate in `onRequest`, before the body is read, so strangers cost no bandwidth;
 * 2. wait for a produce slot (admission) before inflating, so memory is bounded by
 *    maxInFlight × maxDecompressedBytes, and refuse with 429 when the queue is full;
 * 3. decode and validate; a corrupt batch is dead-lettered whole and answered 400;
 * 4. a known idempotency key answers its stored answer without producing again;
 * 5. produce accepted records and dead letters in one call, and answer 2xx only after the bus
 *    stored all of them (the edge deletes on 2xx).
 */
import type { RateLimits } from '../http/rate-limits.js';
import { BATCH_CONTENT_TYPE, BATCH_PATH, decodeBatch, type DecodedBatch } from '@fleetwire/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Bus } from '../bus/bus.js';
import { CloudError, reasonOf } from '../errors.js';
import { logRefusal, sendError, toCloudError } from '../http/error-reply.js';
import { createAdmission } from './admission.js';
import { authenticateRequest } from './auth/authenticate.js';
import type { NodeIdentity, NodeRegistry } from './auth/node-registry.js';
import { createIdempotencyMemory } from './idempotency.js';
import { createIngestMetrics } from './metrics.js';
import { createRecentMemory } from './recent-memory.js';
import { postBatchSchema, type BatchAnswer } from './schemas.js';
import { resolveIngestSettings, type IngestSettingsInput } from './settings.js';
import { deadLetterMessage, triageBatch } from './triage.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The edge node that sent the request, set by ingest's onRequest hook. */
    edgeNode: NodeIdentity | null;
  }
}

export interface IngestOptions {
  bus: Bus;
  nodes: NodeRegistry;
  /** The process registry; ingest adds its `fleetwire_ingest_*` metrics to it. */
  metrics: Registry;
  settings?: IngestSettingsInput;
  /** Sees each batch once the bus stored it (commands route a vehicle to the node that last sent for it). */
  onStored?: (node: NodeIdentity, batch: DecodedBatch) => void;
  /** Per-node token buckets (http/rate-limits.ts); absent = unlimited. */
  rateLimits?: RateLimits;
}

/** Response header on an answer served from the idempotency memory. */
export const REPLAYED_HEADER = 'idempotent-replayed';

export const ingestRoutes: FastifyPluginAsync<IngestOptions> = async (app, options) => {
  const settings = resolveIngestSettings(options.settings);
  const { bus, nodes } = options;
  const admission = createAdmission(settings);
  const metrics = createIngestMetrics(options.metrics, admission);
  const answers = createIdempotencyMemory<BatchAnswer>({
    maxEntries: settings.idempotencyKeys,
    ttlMs: settings.idempotencyTtlMs,
  });
  const storedIds = createRecentMemory<true>({
    maxEntries: settings.recentRecordIds,
    ttlMs: settings.recentRecordIdsTtlMs,
  });

  app.decorateRequest('edgeNode', null);
  // Batches are NDJSON only; anything else is 415 rather than a JSON parse error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(BATCH_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: settings.maxBodyBytes }, (_r, body, done) =>
    done(null, body),
  );
  app.addHook('onRequest', async (request) => {
    const node = authenticateRequest(request, nodes);
    request.edgeNode = node;
    options.rateLimits?.check('node', node.nodeId);
  });
  app.setErrorHandler((error, request, reply) => {
    const refusal = toCloudError(error);
    metrics.batches.inc({ outcome: reasonOf(refusal.code) });
    logRefusal(request.log, refusal);
    return sendError(reply, refusal, settings.retryAfterSeconds);
  });

  app.post(BATCH_PATH, { schema: postBatchSchema, bodyLimit: settings.maxBodyBytes }, async (request, reply) => {
    const node = request.edgeNode;
    if (node === null) throw new CloudError('FW_AUTH_MISSING', 'request was not authenticated');
    const { answer, replayed } = await admission.run(async () => {
      const batch = await decodeOrDeadLetter(request, node);
      const key = idempotencyKey(request, batch);
      const stored = answers.claim(node.nodeId, key);
      if (stored !== undefined) return { answer: stored, replayed: true };
      try {
        const fresh = await storeBatch(batch, node);
        answers.settle(node.nodeId, key, fresh);
        return { answer: fresh, replayed: false };
      } catch (error) {
        answers.release(node.nodeId, key);
        throw error;
      }
    });
    metrics.batches.inc({ outcome: replayed ? 'replayed' : 'accepted' });
    if (replayed) void reply.header(REPLAYED_HEADER, 'true');
    return answer;
  });

  async function decodeOrDeadLetter(request: FastifyRequest, node: NodeIdentity): Promise<DecodedBatch> {
    const body = request.body;
    if (!Buffer.isBuffer(body)) throw new CloudError('FW_REQUEST_INVALID', 'expected an NDJSON body');
    const decoded = decodeBatch(body, {
      contentEncoding: request.headers['content-encoding'],
      maxBytes: settings.maxBodyBytes,
      maxDecompressedBytes: settings.maxDecompressedBytes,
    });
    if (decoded.ok) {
      const { header, entries } = decoded.value;
      if (header.nodeId !== node.nodeId) {
        throw new CloudError('FW_NODE_MISMATCH', `batch header names node ${header.nodeId}, caller is ${node.nodeId}`);
      }
      if (entries.length > settings.maxRecords) {
        throw new CloudError('FW_BATCH_TOO_LARGE', `${entries.length} records exceeds the limit of ${settings.maxRecords}`);
      }
      return decoded.value;
    }
    // Too large is the edge's to split and resend; nothing is lost, so nothing is dead-lettered.
    if (decoded.reason === 'batch_too_large') throw new CloudError('FW_BATCH_TOO_LARGE', decoded.detail);
    await produce([deadLetterMessage(body, 'batch_corrupt', decoded.detail, { ...settings, nodeId: node.nodeId })]);
    metrics.rejectedRecords.inc({ reason: 'batch_corrupt' });
    throw new CloudError('FW_BATCH_CORRUPT', decoded.detail);
  }

  async function storeBatch(batch: DecodedBatch, node: NodeIdentity): Promise<BatchAnswer> {
    const triage = triageBatch(batch, {
      nodeId: node.nodeId,
      servesDevice: node.servesDevice,
      alreadyStored: (id) => storedIds.has(id),
      maxDeadLetterBytes: settings.maxDeadLetterBytes,
    });
    if (triage.messages.length > 0) await produce(triage.messages);
    for (const id of triage.acceptedIds) storedIds.set(id, true);
    options.onStored?.(node, batch);

    metrics.records.inc({ outcome: 'accepted' }, triage.acceptedIds.length);
    metrics.records.inc({ outcome: 'duplicate' }, triage.duplicates);
    metrics.records.inc({ outcome: 'rejected' }, triage.rejected.length);
    for (const { reason } of triage.rejected) metrics.rejectedRecords.inc({ reason });
    if (triage.rejected.length > 0) {
      app.log.info(
        { node: node.nodeId, batchId: batch.header.batchId, rejected: triage.rejected.slice(0, 20) },
        'ingest_records_rejected',
      );
    }
    return { accepted: triage.acceptedIds.length, duplicates: triage.duplicates, rejected: triage.rejected };
  }

  async function produce(messages: Parameters<Bus['produce']>[0]): Promise<void> {
    const done = metrics.produceSeconds.startTimer();
    try {
      await bus.produce(messages);
    } finally {
      done();
    }
  }
};

function idempotencyKey(request: FastifyRequest, batch: DecodedBatch): string {
  const key = request.headers['idempotency-key'];
  if (typeof key === 'string' && key !== batch.header.batchId) {
    throw new CloudError('FW_REQUEST_INVALID', `idempotency-key ${key} is not the batch id ${batch.header.batchId}`);
  }
  return batch.header.batchId;
}
