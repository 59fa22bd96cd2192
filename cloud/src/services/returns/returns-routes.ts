/**
 * `GET /v1/returns` and `GET /v1/returns/{sagaId}` — the return sagas as the dashboard and an
 * operator read them (docs/returns-saga.md#api). Guarded like the other read APIs by
 * `fleet.readToken` when it is set.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { CloudError } from '../../errors.js';
import { ErrorBodySchema } from '../../ingest/schemas.js';
import { createReadGuard } from '../fleet/read-token.js';
import { SAGA_STATES, type ReturnSaga } from './return-saga.js';
import type { ReturnStore } from './sqlite-return-store.js';

export const RETURNS_PATH = '/v1/returns';

const Iso = Type.String({ description: 'ISO-8601' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const ReturnSummarySchema = Type.Object({
  sagaId: Type.String(),
  bookingId: Type.String(),
  vehicleId: Type.String(),
  tripId: Nullable(Type.String()),
  state: Type.Union(SAGA_STATES.map((state) => Type.Literal(state))),
  verdict: Nullable(Type.Object({ returnId: Type.String(), verdict: Type.String(), reasons: Type.Array(Type.String()), fraudScore: Type.Number(), at: Iso })),
  decision: Nullable(Type.String({ description: 'released, held_for_inspection or blocked_for_fraud' })),
  decisionReasons: Type.Array(Type.String()),
  payment: Nullable(Type.Object({
    attempt: Type.Integer(),
    holdDeposit: Type.Boolean(),
    adjustments: Type.Array(Type.Object({ reason: Type.String(), amountMinor: Type.Integer(), currency: Type.String() })),
    paymentId: Nullable(Type.String()),
    failureReason: Nullable(Type.String()),
  })),
  dueAt: Nullable(Type.String({ description: 'the deadline of the step the saga waits for (ISO-8601), null when closed' })),
  startedAt: Iso,
  updatedAt: Iso,
});

const SagaStepSchema = Type.Object({
  type: Type.String({ description: 'the event type' }),
  eventId: Type.String(),
  at: Type.String({ description: "the event's occurredAt" }),
  recordedAt: Type.String({ description: 'when the saga took the step' }),
  direction: Type.Union([Type.Literal('consumed'), Type.Literal('emitted')]),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

const ReturnDetailSchema = Type.Composite([ReturnSummarySchema, Type.Object({ steps: Type.Array(SagaStepSchema) })]);
const ReturnListSchema = Type.Object({ returns: Type.Array(ReturnSummarySchema) });
const ListQuerySchema = Type.Object(
  {
    state: Type.Optional(Type.Union(SAGA_STATES.map((state) => Type.Literal(state)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

type ReturnSummary = Static<typeof ReturnSummarySchema>;
type ReturnDetail = Static<typeof ReturnDetailSchema>;

const iso = (ms: number): string => new Date(ms).toISOString();

export function returnSummary(saga: ReturnSaga): ReturnSummary {
  const { payment } = saga;
  return {
    sagaId: saga.sagaId, bookingId: saga.bookingId, vehicleId: saga.vehicleId, tripId: saga.tripId ?? null, state: saga.state,
    verdict: saga.verdict ?? null, decision: saga.decision ?? null, decisionReasons: saga.decisionReasons,
    payment: payment === undefined ? null : { attempt: payment.attempt, holdDeposit: payment.holdDeposit, adjustments: payment.adjustments, paymentId: payment.paymentId ?? null, failureReason: payment.failureReason ?? null },
    dueAt: saga.dueAt === null ? null : iso(saga.dueAt), startedAt: iso(saga.startedAt), updatedAt: iso(saga.updatedAt),
  };
}

export function returnDetail(saga: ReturnSaga): ReturnDetail {
  return { ...returnSummary(saga), steps: saga.steps.map((step) => ({ ...step, recordedAt: iso(step.recordedAt), detail: step.detail ?? {} })) };
}

export interface ReturnsRoutesOptions {
  store: ReturnStore;
  readToken: string | undefined;
  maxListed: number;
}

export const returnsRoutes: FastifyPluginAsync<ReturnsRoutesOptions> = async (app, options) => {
  const guard = createReadGuard(options.readToken);
  const errors = { 400: { ...ErrorBodySchema, description: 'request_invalid' }, 401: { ...ErrorBodySchema, description: 'read token missing or wrong' } };
  app.get<{ Querystring: Static<typeof ListQuerySchema> }>(
    RETURNS_PATH,
    {
      schema: {
        summary: 'Return sagas, newest first',
        description: 'Each return with its verdict, fleet decision, payment and state (docs/returns-saga.md).',
        tags: ['returns'],
        security: [{ fleetReadToken: [] as string[] }],
        querystring: ListQuerySchema,
        response: { 200: ReturnListSchema, ...errors },
      },
    },
    async (request) => {
      guard(request.headers.authorization);
      const limit = request.query.limit ?? options.maxListed;
      if (limit > options.maxListed) throw new CloudError('FW_REQUEST_INVALID', `limit is at most ${options.maxListed}`);
      return { returns: options.store.list({ ...(request.query.state === undefined ? {} : { state: request.query.state }), limit }).map(returnSummary) };
    },
  );
  app.get<{ Params: { sagaId: string } }>(
    `${RETURNS_PATH}/:sagaId`,
    {
      schema: {
        summary: 'One return saga with its steps',
        description: 'Every event the saga consumed or emitted, in order, with their times.',
        tags: ['returns'],
        security: [{ fleetReadToken: [] as string[] }],
        params: Type.Object({ sagaId: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: ReturnDetailSchema, ...errors, 404: { ...ErrorBodySchema, description: 'no such saga' } },
      },
    },
    async (request) => {
      guard(request.headers.authorization);
      const saga = options.store.get(request.params.sagaId);
      if (saga === undefined) throw new CloudError('FW_NOT_FOUND', `no return saga ${request.params.sagaId}`);
      return returnDetail(saga);
    },
  );
};
