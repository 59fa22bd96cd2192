import { createEvent, validateEvent, type EventData, type EventEnvelope } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { onEvent, onTime, type ReturnSaga, type SagaInput } from './return-saga.js';
import { sagaEventId, sagaRecords } from './saga-records.js';
import { ReturnPolicySchema, type ReturnPolicy } from './settings.js';

const policy = Value.Default(ReturnPolicySchema, {}) as ReturnPolicy;
const T0 = Date.parse('2026-03-02T10:00:00Z');
const MIN = 60_000;
let n = 0;

function event<T extends SagaInput['type']>(type: T, data: Partial<EventData[T]>, source = 'edge:node-1'): EventEnvelope<T> {
  return createEvent(type, {
    eventId: `node-1:e1:${n++}`, source, subject: { kind: 'vehicle', id: 'VH-1' }, occurredAt: T0,
    data: { ...eventDataFixture(type), ...data } as EventData[T],
  }) as EventEnvelope<T>;
}

const refs = { bookingId: 'bk-1', vehicleId: 'VH-1', tripId: 'tr-1' };
const tripEnded = () => event('TripEnded', { ...refs, distanceKm: 7.5, durationS: 1200 });
const verdict = (verdict: 'accepted' | 'review' | 'rejected', fraud: { score: number; reasons: string[] } = { score: 0.05, reasons: [] }, findings = 0) =>
  event('ReturnVerified', {
    ...refs, returnId: 'rt-1', verdict, fraud, parkedInGeofence: true,
    damage: { score: findings > 0 ? 0.8 : 0.1, findings: findings > 0 ? [{ label: 'dent', confidence: 0.8 }] : [] },
  });
const paid = (status: 'captured' | 'failed') =>
  createEvent('PaymentProcessed', {
    eventId: `payment:p1:${n++}`, source: 'service:payment', subject: { kind: 'booking', id: 'bk-1' }, occurredAt: T0, correlationId: 'return-bk-1',
    data: { paymentId: 'pay-bk-1', bookingId: 'bk-1', amountMinor: 900, currency: 'EUR', status, ...(status === 'failed' ? { failureReason: 'card_declined' } : {}) },
  });

/** Runs inputs (events or clock readings) through the saga the way the service does; every emitted event validates. */
function run(...inputs: Array<SagaInput | number>): { saga: ReturnSaga; emitted: EventEnvelope[] } {
  let saga: ReturnSaga | undefined;
  const emitted: EventEnvelope[] = [];
  let now = T0;
  for (const input of inputs) {
    if (typeof input === 'number') now = input;
    const transition = typeof input === 'number' ? (saga === undefined ? undefined : onTime(saga, now, policy)) : onEvent(saga, input, now, policy);
    if (transition === undefined) continue;
    const next = sagaRecords(transition, now);
    saga = next.saga;
    for (const record of next.records) {
      expect(validateEvent(record.payload).ok).toBe(true);
      expect(record.payload.correlationId).toBe('return-bk-1');
      emitted.push(record.payload);
    }
  }
  return { saga: saga!, emitted };
}

const types = (events: EventEnvelope[]) => events.map((e) => e.type);
const ofType = <T extends EventEnvelope['type']>(events: EventEnvelope[], type: T) => events.filter((e) => e.type === type) as Array<EventEnvelope<T>>;

describe('return saga', () => {
  it('accepted: released, payment requested, closed as completed when the payment is captured', () => {
    const { saga, emitted } = run(tripEnded(), verdict('accepted'), paid('captured'));
    expect(types(emitted)).toEqual(['ReturnStarted', 'FleetDecisionMade', 'PaymentRequested', 'ReturnClosed']);
    expect(ofType(emitted, 'FleetDecisionMade')[0]!.data).toMatchObject({ decision: 'released', reasons: [], returnId: 'rt-1' });
    expect(ofType(emitted, 'PaymentRequested')[0]!.data).toMatchObject({ paymentRequestId: 'return-bk-1', attempt: 1, distanceKm: 7.5, durationS: 1200, adjustments: [], holdDeposit: false });
    expect(ofType(emitted, 'ReturnClosed')[0]!.data).toMatchObject({ outcome: 'completed', decision: 'released', paymentId: 'pay-bk-1' });
    expect(saga).toMatchObject({ state: 'completed', dueAt: null, emitted: 4 });
    expect(saga.steps.map((s) => `${s.direction}:${s.type}`)).toEqual([
      'consumed:TripEnded', 'emitted:ReturnStarted', 'consumed:ReturnVerified', 'emitted:FleetDecisionMade', 'emitted:PaymentRequested', 'consumed:PaymentProcessed', 'emitted:ReturnClosed',
    ]);
  });

  it('review: held for inspection; deposit held and a technician task, no fee', () => {
    const { saga, emitted } = run(tripEnded(), verdict('review', undefined, 1));
    expect(types(emitted)).toEqual(['ReturnStarted', 'FleetDecisionMade', 'DepositHeld', 'TechnicianTaskCreated', 'PaymentRequested']);
    expect(ofType(emitted, 'FleetDecisionMade')[0]!.data).toMatchObject({ decision: 'held_for_inspection', reasons: ['return_review', 'damage_found'] });
    expect(ofType(emitted, 'TechnicianTaskCreated')[0]!.data).toMatchObject({ task: 'inspect_vehicle', priority: 'normal', reason: 'return_review' });
    expect(ofType(emitted, 'PaymentRequested')[0]!.data).toMatchObject({ adjustments: [], holdDeposit: true });
    expect(saga.state).toBe('awaiting_payment');
  });

  it('rejected: held for inspection; deposit held, charge adjusted by the verification fee, a technician task', () => {
    const { emitted } = run(tripEnded(), verdict('rejected'));
    expect(types(emitted)).toEqual(['ReturnStarted', 'FleetDecisionMade', 'DepositHeld', 'ChargeAdjusted', 'TechnicianTaskCreated', 'PaymentRequested']);
    expect(ofType(emitted, 'ChargeAdjusted')[0]!.data).toMatchObject({ reason: 'verification_fee', amountMinor: 2500, currency: 'EUR' });
    expect(ofType(emitted, 'PaymentRequested')[0]!.data.adjustments).toEqual([{ reason: 'verification_fee', amountMinor: 2500, currency: 'EUR' }]);
  });

  it('fraud: blocked; deposit held, the fraud fee, an urgent task to secure the vehicle', () => {
    const fraud = { score: 0.95, reasons: ['screen_recapture'] };
    const flagged = event('FraudDetected', { ...refs, returnId: 'rt-1', score: 0.95, reasons: ['screen_recapture'] });
    const { emitted } = run(tripEnded(), verdict('rejected', fraud), flagged);
    expect(types(emitted)).toEqual(['ReturnStarted', 'FleetDecisionMade', 'DepositHeld', 'ChargeAdjusted', 'TechnicianTaskCreated', 'PaymentRequested']);
    expect(ofType(emitted, 'FleetDecisionMade')[0]!.data).toMatchObject({ decision: 'blocked_for_fraud', reasons: ['fraud_detected', 'screen_recapture'] });
    expect(ofType(emitted, 'ChargeAdjusted')[0]!.data).toMatchObject({ reason: 'fraud_fee', amountMinor: 15_000 });
    expect(ofType(emitted, 'TechnicianTaskCreated')[0]!.data).toMatchObject({ task: 'secure_vehicle', priority: 'urgent' });
  });

  it('a FraudDetected seen before the verdict blocks a return the verdict alone would have released', () => {
    const flagged = event('FraudDetected', { ...refs, returnId: 'rt-1', score: 0.6, reasons: ['exif_mismatch'] });
    const { emitted } = run(tripEnded(), flagged, verdict('accepted'));
    expect(ofType(emitted, 'FleetDecisionMade')[0]!.data.decision).toBe('blocked_for_fraud');
  });

  it('no verdict in time: timed out, held for inspection with deposit and task, payment requested', () => {
    const early = run(tripEnded(), T0 + 29 * MIN);
    expect(types(early.emitted)).toEqual(['ReturnStarted']);
    const { saga, emitted } = run(tripEnded(), T0 + 30 * MIN);
    expect(types(emitted)).toEqual(['ReturnStarted', 'ReturnTimedOut', 'FleetDecisionMade', 'DepositHeld', 'TechnicianTaskCreated', 'PaymentRequested']);
    expect(ofType(emitted, 'ReturnTimedOut')[0]!.data).toMatchObject({ step: 'verdict', attempt: 1 });
    expect(ofType(emitted, 'FleetDecisionMade')[0]!.data).toMatchObject({ decision: 'held_for_inspection', reasons: ['verdict_timeout'] });
    expect(saga).toMatchObject({ state: 'awaiting_payment', dueAt: T0 + 45 * MIN });
  });

  it('a verdict after the timeout is recorded and changes nothing', () => {
    const { saga, emitted } = run(tripEnded(), T0 + 30 * MIN, verdict('rejected'));
    expect(ofType(emitted, 'FleetDecisionMade')).toHaveLength(1);
    expect(saga.steps.at(-1)).toMatchObject({ type: 'ReturnVerified', direction: 'consumed', detail: { ignored: true } });
  });

  it('no payment answer: asks again up to maxPaymentAttempts with the same request id, then closes as payment_timed_out', () => {
    const { saga, emitted } = run(tripEnded(), verdict('accepted'), T0 + 15 * MIN, T0 + 30 * MIN, T0 + 45 * MIN, T0 + 90 * MIN);
    expect(types(emitted).slice(3)).toEqual(['ReturnTimedOut', 'PaymentRequested', 'ReturnTimedOut', 'PaymentRequested', 'ReturnTimedOut', 'ReturnClosed']);
    const requests = ofType(emitted, 'PaymentRequested');
    expect(requests.map((r) => r.data.attempt)).toEqual([1, 2, 3]);
    expect(new Set(requests.map((r) => r.data.paymentRequestId))).toEqual(new Set(['return-bk-1']));
    expect(ofType(emitted, 'ReturnClosed')[0]!.data).toMatchObject({ outcome: 'payment_timed_out', failureReason: 'payment_timeout' });
    expect(saga).toMatchObject({ state: 'payment_timed_out', dueAt: null });
  });

  it('an answer to an earlier attempt still closes the saga', () => {
    const { saga } = run(tripEnded(), verdict('accepted'), T0 + 15 * MIN, paid('captured'));
    expect(saga).toMatchObject({ state: 'completed', payment: { attempt: 2, paymentId: 'pay-bk-1' } });
  });

  it('a failed payment closes the saga as payment_failed with the reason', () => {
    const { saga, emitted } = run(tripEnded(), verdict('accepted'), paid('failed'));
    expect(ofType(emitted, 'ReturnClosed')[0]!.data).toMatchObject({ outcome: 'payment_failed', failureReason: 'card_declined' });
    expect(saga.state).toBe('payment_failed');
  });

  it('a verdict that arrives before the trip ended waits for it, then decides', () => {
    const waiting = run(verdict('review', undefined, 1));
    expect(waiting.emitted).toEqual([]);
    expect(waiting.saga).toMatchObject({ state: 'awaiting_trip', dueAt: null });
    const { emitted } = run(verdict('review', undefined, 1), tripEnded());
    expect(types(emitted)).toEqual(['ReturnStarted', 'FleetDecisionMade', 'DepositHeld', 'TechnicianTaskCreated', 'PaymentRequested']);
  });

  it('a second TripEnded or payment answer is recorded, nothing emitted', () => {
    const once = run(tripEnded(), verdict('accepted'), paid('captured'));
    const twice = run(tripEnded(), verdict('accepted'), paid('captured'), tripEnded(), paid('failed'));
    expect(types(twice.emitted)).toEqual(types(once.emitted));
    expect(twice.saga.state).toBe('completed');
  });

  it('derives ids from the saga and the step, so a transition computed again repeats them', () => {
    const a = run(tripEnded(), verdict('accepted'));
    const b = run(tripEnded(), verdict('accepted'));
    expect(a.emitted.map((e) => e.eventId)).toEqual(b.emitted.map((e) => e.eventId));
    expect(a.emitted.map((e) => e.eventId)).toEqual([0, 1, 2].map((i) => sagaEventId('return-bk-1', i)));
    expect(a.emitted.every((e) => e.source === 'cloud:returns' && e.subject.id === 'VH-1')).toBe(true);
  });
});
