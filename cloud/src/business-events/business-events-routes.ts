/**
 * `POST /v1/events` — the business events API, as a fastify plugin: the systems around fleetwire
 * (booking, payment, user services) publish VehicleBooked, BookingCancelled and PaymentProcessed
 * in the protocol's event envelope, with credentials of their own (a clients file apart from the
 * edge nodes' auth file).
 *
 * Order of work, and why:
 * 1. authenticate in `onRequest`, before the body is read;
 * 2. read the body as bytes (≤ maxEventBytes) and judge it (`judge-event.ts`); a refused event
 *    goes to `fleetwire.dlq` with its reason and original bytes *before* the refusal is sent,
 *    like a refused record of an edge batch;
 * 3. an event id this process stored before answers `duplicate` without producing; the same id
 *    in flight waits for that request, then answers `duplicate` (or produces, if it failed);
 * 4. replace customer references by their pseudonyms (`pseudonyms.ts`), produce the event as a
 *    record of source `service:{clientId}` on `fleetwire.events`, keyed by its subject, and
 *    answer 200 only after the bus stored it.
 */
import type { RateLimits } from '../http/rate-limits.js';
import { createEventRecord, toBusMessage, type EventEnvelope } from '@fleetwire/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Bus } from '../bus/bus.js';
import { CloudError, reasonOf } from '../errors.js';
import { logRefusal, sendError, toCloudError, type RetryAfterSeconds } from '../http/error-reply.js';
import { createRecentMemory } from '../ingest/recent-memory.js';
import { deadLetterMessage } from '../ingest/triage.js';
import type { ClientIdentity, ClientRegistry } from './clients/client-registry.js';
import { judgeBusinessEvent } from './judge-event.js';
import { createBusinessEventsMetrics } from './metrics.js';
import { pseudonymiseEvent, type Pseudonymise } from './pseudonyms.js';
import { EVENTS_PATH, postEventSchema, type EventAnswer } from './schemas.js';
import type { BusinessEventsSettings } from './settings.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The business client that sent the request, set by the business events onRequest hook. */
    businessClient: ClientIdentity | null;
  }
}

export interface BusinessEventsOptions {
  bus: Bus;
  clients: ClientRegistry;
  /** The process registry; the API adds its `fleetwire_business_events_*` metrics to it. */
  metrics: Registry;
  settings: Pick<BusinessEventsSettings, 'maxEventBytes' | 'maxDeadLetterBytes' | 'recentEventIds' | 'recentEventIdsTtlMs'>;
  retryAfterSeconds: RetryAfterSeconds;
  /** Keyed hash of customer references; the key stays with the API (pseudonyms.ts). */
  pseudonymise: Pseudonymise;
  /** Per-client token buckets (http/rate-limits.ts); absent = unlimited. */
  rateLimits?: RateLimits;
  now?: () => number;
}

export const businessEventsRoutes: FastifyPluginAsync<BusinessEventsOptions> = async (app, options) => {
  const { bus, clients, settings, retryAfterSeconds } = options;
  const now = options.now ?? Date.now;
  const metrics = createBusinessEventsMetrics(options.metrics);
  const storedIds = createRecentMemory<true>({ maxEntries: settings.recentEventIds, ttlMs: settings.recentEventIdsTtlMs });
  const inFlight = new Map<string, Promise<void>>();

  app.decorateRequest('businessClient', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: settings.maxEventBytes }, (_r, body, done) => done(null, body));
  app.addHook('onRequest', async (request) => {
    const client = authenticateClient(request, clients);
    request.businessClient = client;
    options.rateLimits?.check('client', client.clientId);
  });
  app.setErrorHandler((error, request, reply) => {
    const tooLarge = (error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    const refusal = tooLarge ? new CloudError('FW_EVENT_TOO_LARGE', `an event is at most ${settings.maxEventBytes} bytes`, { cause: error }) : toCloudError(error);
    metrics.requests.inc({ outcome: reasonOf(refusal.code) });
    logRefusal(request.log, refusal);
    return sendError(reply, refusal, retryAfterSeconds);
  });

  app.post(
    EVENTS_PATH,
    // The body schema documents the API; the judge checks the bytes itself so it can dead-letter them as sent.
    { schema: postEventSchema, bodyLimit: settings.maxEventBytes, validatorCompiler: () => () => true },
    async (request): Promise<EventAnswer> => {
      const client = request.businessClient;
      if (client === null) throw new CloudError('FW_AUTH_MISSING', 'request was not authenticated');
      const raw = request.body;
      if (!Buffer.isBuffer(raw)) throw new CloudError('FW_REQUEST_INVALID', 'expected a JSON body');
      const judgement = judgeBusinessEvent(raw, client);
      if (!judgement.ok) {
        const context = { nodeId: client.clientId, maxDeadLetterBytes: settings.maxDeadLetterBytes };
        await bus.produce([deadLetterMessage(raw, judgement.reason, judgement.detail, context, judgement.eventId)]);
        metrics.deadLettered.inc({ reason: judgement.reason });
        throw new CloudError(judgement.code, `${judgement.reason}: ${judgement.detail}`);
      }
      const outcome = await store(judgement.event, client.clientId);
      metrics.requests.inc({ outcome });
      if (outcome === 'accepted') request.log.debug({ client: client.clientId, eventId: judgement.event.eventId, type: judgement.event.type }, 'business_event_accepted');
      return { eventId: judgement.event.eventId, outcome };
    },
  );

  async function store(event: EventEnvelope, clientId: string): Promise<EventAnswer['outcome']> {
    for (let pending = inFlight.get(event.eventId); ; pending = inFlight.get(event.eventId)) {
      if (storedIds.has(event.eventId)) return 'duplicate';
      if (pending === undefined) break;
      await pending.catch(() => undefined);
    }
    const record = createEventRecord(pseudonymiseEvent(event, options.pseudonymise), { source: { kind: 'service', id: clientId }, receivedAt: now() });
    const produced = bus.produce([toBusMessage(record)]);
    inFlight.set(event.eventId, produced);
    try {
      await produced;
      storedIds.set(event.eventId, true);
      return 'accepted';
    } finally {
      inFlight.delete(event.eventId);
    }
  }
};

/** Bearer tokens only: a business system is a server-side client, not a device or an edge box. */
function authenticateClient(request: FastifyRequest, registry: ClientRegistry): ClientIdentity {
  const header = request.headers.authorization;
  if (header === undefined) throw new CloudError('FW_AUTH_MISSING', 'no bearer token');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined) throw new CloudError('FW_AUTH_INVALID', 'authorization header is not a bearer token');
  return registry.authenticateToken(match[1]);
}
