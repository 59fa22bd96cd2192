import { Type } from '@sinclair/typebox';
import { Count, CurrencyCode, EntityId, IsoTimestamp, Label, NonNegative, strict } from './fields.js';

/**
 * The return saga's steps (docs/returns-saga.md). The cloud's return saga produces every one of
 * them, with the saga id as the envelope's correlation id and the vehicle as subject, so a
 * saga's steps stay in order with the vehicle's own events. `PaymentRequested` is a command to
 * the payment system; the payment system answers with PaymentProcessed (types.ts).
 */

/** `return-{bookingId}` (a booking has one trip, and one return). */
export const SagaId = Type.String({ pattern: '^return-[A-Za-z0-9_-]{1,64}$' });

const SagaRefs = {
  sagaId: SagaId,
  bookingId: EntityId,
  vehicleId: EntityId,
  tripId: EntityId,
};

/** A trip ended: the saga waits for the return's verdict until `verdictDueAt`. */
export const ReturnStartedV1 = Type.Object({ ...SagaRefs, verdictDueAt: IsoTimestamp }, strict);

export const FLEET_DECISIONS = ['released', 'held_for_inspection', 'blocked_for_fraud'] as const;

/** What the fleet does with the vehicle after its return, and why (verdict reasons, `verdict_timeout`, `fraud_detected`). */
export const FleetDecisionMadeV1 = Type.Object(
  {
    ...SagaRefs,
    returnId: Type.Optional(EntityId),
    decision: Type.Union(FLEET_DECISIONS.map((decision) => Type.Literal(decision))),
    reasons: Type.Array(Label, { maxItems: 32 }),
  },
  strict,
);

/** A compensation: the customer's deposit stays held until the inspection is done. */
export const DepositHeldV1 = Type.Object({ ...SagaRefs, reason: Label }, strict);

/** A compensation: an amount added to the trip's charge (a verification or fraud fee), minor units. */
export const ChargeAdjustedV1 = Type.Object(
  { ...SagaRefs, reason: Label, amountMinor: Type.Integer({ minimum: 0 }), currency: CurrencyCode },
  strict,
);

/** A compensation: a technician inspects (or secures) the vehicle. */
export const TechnicianTaskCreatedV1 = Type.Object(
  {
    ...SagaRefs,
    taskId: EntityId,
    task: Type.Union([Type.Literal('inspect_vehicle'), Type.Literal('secure_vehicle')]),
    priority: Type.Union([Type.Literal('normal'), Type.Literal('urgent')]),
    reason: Label,
  },
  strict,
);

/**
 * The command to the payment system: charge this trip. The payment system prices the trip from
 * its facts, adds the adjustments, and holds the deposit when asked; `paymentRequestId` is the
 * same for every attempt, so a repeated request charges once.
 */
export const PaymentRequestedV1 = Type.Object(
  {
    ...SagaRefs,
    paymentRequestId: EntityId,
    attempt: Type.Integer({ minimum: 1, maximum: 100 }),
    /** The trip's facts, priced by the payment system; the charge belongs to the trip's end. */
    distanceKm: NonNegative,
    durationS: Count,
    tripEndedAt: IsoTimestamp,
    adjustments: Type.Array(
      Type.Object({ reason: Label, amountMinor: Type.Integer({ minimum: 0 }), currency: CurrencyCode }, strict),
      { maxItems: 16 },
    ),
    holdDeposit: Type.Boolean(),
    /** The payment system answers (PaymentProcessed) by then, or the saga asks again or gives up. */
    answerDueAt: IsoTimestamp,
  },
  strict,
);

/** A step that waited on another system ran out of time: `verdict` (edge, photos) or `payment` (payment system). */
export const ReturnTimedOutV1 = Type.Object(
  {
    ...SagaRefs,
    step: Type.Union([Type.Literal('verdict'), Type.Literal('payment')]),
    attempt: Type.Integer({ minimum: 1, maximum: 100 }),
  },
  strict,
);

export const RETURN_OUTCOMES = ['completed', 'payment_failed', 'payment_timed_out'] as const;

/** The saga's last step. `completed`: the payment was captured. */
export const ReturnClosedV1 = Type.Object(
  {
    ...SagaRefs,
    outcome: Type.Union(RETURN_OUTCOMES.map((outcome) => Type.Literal(outcome))),
    decision: Type.Union(FLEET_DECISIONS.map((decision) => Type.Literal(decision))),
    paymentId: Type.Optional(EntityId),
    failureReason: Type.Optional(Label),
  },
  strict,
);

/** Registered in EVENT_DATA_SCHEMAS (types.ts). */
export const RETURN_SAGA_EVENT_SCHEMAS = {
  ReturnStarted: { 1: ReturnStartedV1 },
  FleetDecisionMade: { 1: FleetDecisionMadeV1 },
  DepositHeld: { 1: DepositHeldV1 },
  ChargeAdjusted: { 1: ChargeAdjustedV1 },
  TechnicianTaskCreated: { 1: TechnicianTaskCreatedV1 },
  PaymentRequested: { 1: PaymentRequestedV1 },
  ReturnTimedOut: { 1: ReturnTimedOutV1 },
  ReturnClosed: { 1: ReturnClosedV1 },
} as const;
