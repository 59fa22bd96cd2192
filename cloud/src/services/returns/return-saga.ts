/**
 * The return saga as plain functions over data: (saga, event or time) → (saga, steps to emit).
 * No I/O and no clock of its own — the service passes `now` — so every path, each compensation
 * and each timeout is a unit test (docs/returns-saga.md draws the machine).
 *
 *   TripEnded ──▶ awaiting_verdict ──ReturnVerified──▶ decision ──▶ awaiting_payment ──PaymentProcessed──▶ closed
 *                        │ (verdictTimeoutMs)                              │ (paymentTimeoutMs, × maxPaymentAttempts)
 *                        └──▶ ReturnTimedOut, held_for_inspection          └──▶ ReturnTimedOut, asked again … payment_timed_out
 *
 * Decisions and their compensations:
 * - accepted → released; no compensation.
 * - review → held_for_inspection; deposit held, technician task (inspect).
 * - rejected → held_for_inspection; deposit held, charge adjusted (verification fee), technician task.
 * - fraud (a FraudDetected seen, or the verdict's fraud score ≥ policy.fraudScore with reasons) →
 *   blocked_for_fraud; deposit held, charge adjusted (fraud fee), technician task (secure, urgent).
 * - no verdict in time → held_for_inspection (`verdict_timeout`); deposit held, technician task.
 *
 * A verdict that arrives before its trip's end is kept (`awaiting_trip`) and decided when the trip
 * ends. Events for a saga past the step they answer (a late verdict, a second payment answer)
 * are recorded as steps and change nothing else.
 */
import type { EventData, EventEnvelope, EventType } from '@fleetwire/protocol';
import type { ReturnPolicy } from './settings.js';

export const SAGA_STATES = ['awaiting_trip', 'awaiting_verdict', 'awaiting_payment', 'completed', 'payment_failed', 'payment_timed_out'] as const;
export type SagaState = (typeof SAGA_STATES)[number];
export type FleetDecision = EventData['FleetDecisionMade']['decision'];
export type SagaEventType = 'ReturnStarted' | 'FleetDecisionMade' | 'DepositHeld' | 'ChargeAdjusted' | 'TechnicianTaskCreated' | 'PaymentRequested' | 'ReturnTimedOut' | 'ReturnClosed';

/** One step of a saga as the API shows it: an event it consumed or emitted. */
export interface SagaStep {
  type: EventType;
  eventId: string;
  /** The event's occurredAt. */
  at: string;
  /** When the saga took the step (ms since the epoch, the service's clock). */
  recordedAt: number;
  /** consumed: came from another system; emitted: the saga's own. */
  direction: 'consumed' | 'emitted';
  detail?: Record<string, unknown>;
}

export interface ReturnSaga {
  sagaId: string;
  bookingId: string;
  vehicleId: string;
  state: SagaState;
  /** Known once the trip ended (or from the verdict). */
  tripId?: string;
  trip?: { distanceKm: number; durationS: number; endedAt: string };
  verdict?: { returnId: string; verdict: EventData['ReturnVerified']['verdict']; reasons: string[]; fraudScore: number; at: string };
  fraudFlagged: boolean;
  decision?: FleetDecision;
  decisionReasons: string[];
  payment?: { attempt: number; adjustments: EventData['PaymentRequested']['adjustments']; holdDeposit: boolean; paymentId?: string; failureReason?: string };
  /** The deadline of the current wait (ms since the epoch), null when nothing is awaited. */
  dueAt: number | null;
  /** Steps emitted so far: the sequence number of the next emitted event's id. */
  emitted: number;
  startedAt: number;
  updatedAt: number;
  steps: SagaStep[];
}

/** A step to put on the bus: the service gives it an id and wraps it. */
export interface SagaEmission<T extends SagaEventType = SagaEventType> {
  type: T;
  data: EventData[T];
  occurredAt: string;
}

export interface SagaTransition {
  saga: ReturnSaga;
  emit: SagaEmission[];
}

export const CLOSED_STATES: ReadonlySet<SagaState> = new Set(['completed', 'payment_failed', 'payment_timed_out']);

export const sagaIdOf = (bookingId: string): string => `return-${bookingId}`;

const iso = (ms: number): string => new Date(ms).toISOString();

/** The events that move a saga; anything else is not the saga's business. */
export type SagaInput = EventEnvelope<'TripEnded' | 'ReturnVerified' | 'FraudDetected' | 'PaymentProcessed'>;
export const SAGA_INPUT_TYPES: ReadonlySet<string> = new Set(['TripEnded', 'ReturnVerified', 'FraudDetected', 'PaymentProcessed']);

/** The booking whose saga an input belongs to, when it names one. */
export function bookingOf(event: SagaInput): string | undefined {
  return event.data.bookingId;
}

/** Applies an event from another system to the booking's saga (undefined: there is none yet). */
export function onEvent(saga: ReturnSaga | undefined, event: SagaInput, now: number, policy: ReturnPolicy): SagaTransition | undefined {
  switch (event.type) {
    case 'TripEnded':
      return onTripEnded(saga, event, now, policy);
    case 'ReturnVerified':
      return onVerdict(saga, event, now, policy);
    case 'FraudDetected':
      return saga === undefined ? undefined : onFraud(saga, event, now);
    case 'PaymentProcessed':
      return saga === undefined ? undefined : onPayment(saga, event, now);
  }
}

/** What a deadline that passed does; undefined when the saga waits for nothing that is due. */
export function onTime(saga: ReturnSaga, now: number, policy: ReturnPolicy): SagaTransition | undefined {
  if (saga.dueAt === null || now < saga.dueAt) return undefined;
  const draft = new Draft(saga, now);
  if (saga.state === 'awaiting_verdict') {
    draft.emit('ReturnTimedOut', iso(now), { step: 'verdict', attempt: 1 });
    decide(draft, 'held_for_inspection', ['verdict_timeout'], iso(now), policy);
    return draft.done();
  }
  if (saga.state === 'awaiting_payment' && saga.payment !== undefined) {
    const attempt = saga.payment.attempt;
    draft.emit('ReturnTimedOut', iso(now), { step: 'payment', attempt });
    if (attempt < policy.maxPaymentAttempts) {
      requestPayment(draft, attempt + 1, iso(now), policy);
    } else {
      close(draft, 'payment_timed_out', iso(now), { failureReason: 'payment_timeout' });
    }
    return draft.done();
  }
  return undefined;
}

function onTripEnded(saga: ReturnSaga | undefined, event: EventEnvelope<'TripEnded'>, now: number, policy: ReturnPolicy): SagaTransition | undefined {
  const { bookingId, vehicleId, tripId, distanceKm, durationS } = event.data;
  if (saga !== undefined && saga.state !== 'awaiting_trip') return recordOnly(saga, event, now);
  const draft = new Draft(saga ?? newSaga(bookingId, vehicleId, now), now);
  draft.consumed(event);
  draft.saga.tripId = tripId;
  draft.saga.vehicleId = vehicleId;
  draft.saga.trip = { distanceKm, durationS, endedAt: event.occurredAt };
  const verdictDueAt = now + policy.verdictTimeoutMs;
  draft.emit('ReturnStarted', event.occurredAt, { verdictDueAt: iso(verdictDueAt) });
  if (draft.saga.verdict === undefined) {
    draft.saga.state = 'awaiting_verdict';
    draft.saga.dueAt = verdictDueAt;
  } else {
    decideOnVerdict(draft, draft.saga.verdict.at, policy);
  }
  return draft.done();
}

function onVerdict(saga: ReturnSaga | undefined, event: EventEnvelope<'ReturnVerified'>, now: number, policy: ReturnPolicy): SagaTransition | undefined {
  const { bookingId, vehicleId, tripId, returnId, verdict, fraud } = event.data;
  if (saga !== undefined && saga.state !== 'awaiting_verdict' && saga.state !== 'awaiting_trip') return recordOnly(saga, event, now);
  const draft = new Draft(saga ?? newSaga(bookingId, vehicleId, now), now);
  draft.consumed(event, { verdict, returnId });
  draft.saga.verdict = { returnId, verdict, reasons: verdictReasons(event.data), fraudScore: fraud.score, at: event.occurredAt };
  if (draft.saga.tripId === undefined && tripId !== undefined) draft.saga.tripId = tripId;
  if (draft.saga.state === 'awaiting_verdict') decideOnVerdict(draft, event.occurredAt, policy);
  return draft.done();
}

function onFraud(saga: ReturnSaga, event: EventEnvelope<'FraudDetected'>, now: number): SagaTransition {
  const draft = new Draft(saga, now);
  draft.consumed(event, { score: event.data.score, reasons: event.data.reasons });
  // Before the decision the flag counts; after it, the verdict (which carries the same scores) already did.
  if (saga.decision === undefined) draft.saga.fraudFlagged = true;
  return draft.done();
}

function onPayment(saga: ReturnSaga, event: EventEnvelope<'PaymentProcessed'>, now: number): SagaTransition {
  const { status, paymentId, failureReason } = event.data;
  if (saga.state !== 'awaiting_payment' || saga.payment === undefined) return recordOnly(saga, event, now);
  const draft = new Draft(saga, now);
  draft.consumed(event, { status, paymentId });
  draft.saga.payment = { ...saga.payment, paymentId, ...(failureReason === undefined ? {} : { failureReason }) };
  if (status === 'failed') close(draft, 'payment_failed', event.occurredAt, { paymentId, failureReason: failureReason ?? 'payment_failed' });
  else close(draft, 'completed', event.occurredAt, { paymentId });
  return draft.done();
}

/** The verdict's reasons: damage, parking and fraud reasons as the edge named them. */
function verdictReasons(data: EventData['ReturnVerified']): string[] {
  const reasons = [...data.fraud.reasons];
  if (data.damage.findings.length > 0) reasons.push('damage_found');
  if (!data.parkedInGeofence) reasons.push('parked_outside_return_area');
  return [...new Set(reasons)];
}

function decideOnVerdict(draft: Draft, at: string, policy: ReturnPolicy): void {
  const verdict = draft.saga.verdict!;
  const fraud = draft.saga.fraudFlagged || (verdict.fraudScore >= policy.fraudScore && verdict.reasons.length > 0 && verdict.verdict !== 'accepted');
  if (fraud) return decide(draft, 'blocked_for_fraud', withReason(verdict.reasons, 'fraud_detected'), at, policy);
  if (verdict.verdict === 'accepted') return decide(draft, 'released', [], at, policy);
  return decide(draft, 'held_for_inspection', withReason(verdict.reasons, verdict.verdict === 'rejected' ? 'return_rejected' : 'return_review'), at, policy);
}

const withReason = (reasons: string[], reason: string): string[] => [reason, ...reasons.filter((r) => r !== reason)];

/** The fleet decision, its compensations, and the payment request that follows. */
function decide(draft: Draft, decision: FleetDecision, reasons: string[], at: string, policy: ReturnPolicy): void {
  const saga = draft.saga;
  const reason = reasons[0] ?? 'return_accepted';
  saga.decision = decision;
  saga.decisionReasons = reasons;
  draft.emit('FleetDecisionMade', at, { ...(saga.verdict === undefined ? {} : { returnId: saga.verdict.returnId }), decision, reasons });
  const adjustments: EventData['PaymentRequested']['adjustments'] = [];
  if (decision !== 'released') {
    const fee = decision === 'blocked_for_fraud' ? { reason: 'fraud_fee', amountMinor: policy.fraudFeeMinor } : reason === 'return_rejected' ? { reason: 'verification_fee', amountMinor: policy.verificationFeeMinor } : undefined;
    draft.emit('DepositHeld', at, { reason });
    if (fee !== undefined) {
      adjustments.push({ ...fee, currency: policy.currency });
      draft.emit('ChargeAdjusted', at, { ...fee, currency: policy.currency });
    }
    const fraud = decision === 'blocked_for_fraud';
    draft.emit('TechnicianTaskCreated', at, {
      taskId: `${saga.sagaId}-${fraud ? 'secure' : 'inspect'}`.slice(0, 64),
      task: fraud ? 'secure_vehicle' : 'inspect_vehicle',
      priority: fraud ? 'urgent' : 'normal',
      reason,
    });
  }
  saga.payment = { attempt: 0, adjustments, holdDeposit: decision !== 'released' };
  requestPayment(draft, 1, at, policy);
}

function requestPayment(draft: Draft, attempt: number, at: string, policy: ReturnPolicy): void {
  const saga = draft.saga;
  const payment = saga.payment!;
  const trip = saga.trip!;
  const answerDueAt = draft.now + policy.paymentTimeoutMs;
  saga.payment = { ...payment, attempt };
  saga.state = 'awaiting_payment';
  saga.dueAt = answerDueAt;
  draft.emit('PaymentRequested', at, {
    paymentRequestId: saga.sagaId.slice(0, 64),
    attempt,
    distanceKm: trip.distanceKm,
    durationS: trip.durationS,
    tripEndedAt: trip.endedAt,
    adjustments: payment.adjustments,
    holdDeposit: payment.holdDeposit,
    answerDueAt: iso(answerDueAt),
  });
}

function close(draft: Draft, outcome: EventData['ReturnClosed']['outcome'], at: string, extra: { paymentId?: string; failureReason?: string }): void {
  draft.saga.state = outcome;
  draft.saga.dueAt = null;
  draft.emit('ReturnClosed', at, { outcome, decision: draft.saga.decision!, ...extra });
}

function recordOnly(saga: ReturnSaga, event: SagaInput, now: number): SagaTransition {
  const draft = new Draft(saga, now);
  draft.consumed(event, { ignored: true });
  return draft.done();
}

function newSaga(bookingId: string, vehicleId: string, now: number): ReturnSaga {
  return {
    sagaId: sagaIdOf(bookingId), bookingId, vehicleId, state: 'awaiting_trip', fraudFlagged: false, decisionReasons: [],
    dueAt: null, emitted: 0, startedAt: now, updatedAt: now, steps: [],
  };
}

/** A copy of the saga being changed, and the steps it emits. */
class Draft {
  readonly saga: ReturnSaga;
  readonly #emissions: SagaEmission[] = [];

  constructor(saga: ReturnSaga, readonly now: number) {
    this.saga = structuredClone(saga);
    this.saga.updatedAt = now;
  }

  consumed(event: SagaInput, detail?: Record<string, unknown>): void {
    this.saga.steps.push({ type: event.type, eventId: event.eventId, at: event.occurredAt, recordedAt: this.now, direction: 'consumed', ...(detail === undefined ? {} : { detail }) });
  }

  emit<T extends SagaEventType>(type: T, occurredAt: string, data: Omit<EventData[T], 'sagaId' | 'bookingId' | 'vehicleId' | 'tripId'>): void {
    const { sagaId, bookingId, vehicleId, tripId } = this.saga;
    const full = { sagaId, bookingId, vehicleId, tripId: tripId!, ...data } as EventData[T];
    this.#emissions.push({ type, data: full, occurredAt } as SagaEmission);
  }

  done(): SagaTransition {
    return { saga: this.saga, emit: this.#emissions };
  }
}
