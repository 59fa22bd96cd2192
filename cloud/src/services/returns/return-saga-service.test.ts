import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_TOPICS, createEvent, createEventRecord, fromBusValue, toBusMessage, type EventData, type EventEnvelope, type EventRecord } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import { Value } from '@sinclair/typebox/value';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, Subscription } from '../../bus/bus.js';
import { createEmbeddedBus } from '../../bus/embedded/index.js';
import { createPaymentWebhook } from './payment-webhook.js';
import { createReturnSagaService, type ReturnSagaService } from './return-saga-service.js';
import { ReturnPolicySchema, type ReturnPolicy } from './settings.js';
import { openSqliteReturnStore, type ReturnStore } from './sqlite-return-store.js';

const policy = Value.Default(ReturnPolicySchema, {}) as ReturnPolicy;
const T0 = Date.parse('2026-03-02T10:00:00Z');
const MIN = 60_000;
const logger = pino({ level: 'silent' });

let dir = '';
let bus: Bus;
let store: ReturnStore;
let clock = T0;
const running: Array<{ stop(): Promise<void> } | Subscription> = [];
const servers: Server[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-returns-'));
  bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), retryInitialMs: 10 });
  store = openSqliteReturnStore(join(dir, 'returns.sqlite'));
  clock = T0;
});
afterEach(async () => {
  for (const r of running.splice(0)) await ('stop' in r ? r.stop() : r.close());
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await bus.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function started(groupId = 'fleetwire-returns', sagaStore = store): Promise<ReturnSagaService> {
  const service = createReturnSagaService({ bus, store: sagaStore, policy, metrics: new Registry(), logger, groupId, fromBeginning: true, tickIntervalMs: 3_600_000, now: () => clock });
  await service.start();
  running.push(service);
  return service;
}

let n = 0;
function record<T extends 'TripEnded' | 'ReturnVerified' | 'PaymentProcessed'>(type: T, data: Partial<EventData[T]>): EventRecord {
  const payment = type === 'PaymentProcessed';
  const event = createEvent(type, {
    eventId: payment ? `payment:p1:${n++}` : `VH-1:b1:${n++}`,
    source: payment ? 'service:payment' : 'vehicle:VH-1',
    subject: payment ? { kind: 'booking', id: 'bk-1' } : { kind: 'vehicle', id: 'VH-1' },
    occurredAt: T0,
    data: { ...eventDataFixture(type), ...data } as EventData[T],
  });
  return createEventRecord(event as EventEnvelope, { source: payment ? { kind: 'service', id: 'payment' } : { kind: 'vehicle', id: 'VH-1' }, receivedAt: T0 });
}
const refs = { bookingId: 'bk-1', vehicleId: 'VH-1', tripId: 'tr-1' };
const tripEnded = () => record('TripEnded', refs);
const verdict = (v: 'accepted' | 'review') => record('ReturnVerified', { ...refs, returnId: 'rt-1', verdict: v, fraud: { score: 0, reasons: [] }, parkedInGeofence: true, damage: { score: 0.1, findings: v === 'review' ? [{ label: 'dent', confidence: 0.8 }] : [] } });
const captured = () => record('PaymentProcessed', { paymentId: 'pay-1', bookingId: 'bk-1', amountMinor: 900, currency: 'EUR', status: 'captured' });

/** The saga's own events on the bus, in order. */
async function sagaEvents(count: number): Promise<EventEnvelope[]> {
  const seen: EventEnvelope[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const subscription = await bus.subscribe({
    groupId: `watch-${Math.random()}`, topics: [BUS_TOPICS.events], fromBeginning: true,
    handle: async (batch) => {
      for (const m of batch) {
        const v = fromBusValue(m.value);
        if (v.ok && v.value.kind === 'event' && v.value.payload.source === 'cloud:returns') seen.push(v.value.payload);
      }
      if (seen.length >= count) done();
    },
  });
  const timer = setTimeout(done, 5_000);
  await finished;
  clearTimeout(timer);
  await subscription.close();
  return seen;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}

async function untilAsync(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await check()).toBe(true);
}

describe('return saga service over the embedded bus', () => {
  it('runs a return to completion: steps on the bus with the saga id as correlation id, state and steps in the store', async () => {
    await started();
    await bus.produce([tripEnded(), verdict('review')].map((r) => toBusMessage(r)));
    // The payment system answers on the booking's partition, after it was asked.
    await until(() => store.get('return-bk-1')?.state === 'awaiting_payment');
    await bus.produce([toBusMessage(captured())]);
    await until(() => store.get('return-bk-1')?.state === 'completed');
    const events = await sagaEvents(6);
    expect(events.map((e) => e.type)).toEqual(['ReturnStarted', 'FleetDecisionMade', 'DepositHeld', 'TechnicianTaskCreated', 'PaymentRequested', 'ReturnClosed']);
    expect(events.every((e) => e.correlationId === 'return-bk-1')).toBe(true);
    expect(store.outbox(10)).toEqual([]);
    expect(store.list({ state: 'completed', limit: 10 }).map((s) => s.sagaId)).toEqual(['return-bk-1']);
  });

  it('drives timeouts from its clock: no verdict, then no payment answer, until the saga closes', async () => {
    const service = await started();
    await bus.produce([toBusMessage(tripEnded())]);
    await until(() => store.get('return-bk-1')?.state === 'awaiting_verdict');
    clock = T0 + 30 * MIN;
    await service.tick();
    expect(store.get('return-bk-1')).toMatchObject({ state: 'awaiting_payment', decision: 'held_for_inspection', payment: { attempt: 1 } });
    for (const minutes of [45, 60, 75]) {
      clock = T0 + minutes * MIN;
      await service.tick();
    }
    expect(store.get('return-bk-1')).toMatchObject({ state: 'payment_timed_out', payment: { attempt: 3 } });
    const events = await sagaEvents(12);
    expect(events.map((e) => e.type)).toEqual([
      'ReturnStarted', 'ReturnTimedOut', 'FleetDecisionMade', 'DepositHeld', 'TechnicianTaskCreated', 'PaymentRequested',
      'ReturnTimedOut', 'PaymentRequested', 'ReturnTimedOut', 'PaymentRequested', 'ReturnTimedOut', 'ReturnClosed',
    ]);
  });

  it('a restart over the same store applies nothing twice, even when the bus delivers everything again', async () => {
    const first = await started();
    await bus.produce([tripEnded(), verdict('accepted')].map((r) => toBusMessage(r)));
    await until(() => store.get('return-bk-1')?.state === 'awaiting_payment');
    await first.stop();
    // A new group re-reads the topic from its oldest record: the store's offsets say all of it is applied.
    const second = await started('fleetwire-returns-replayed');
    await bus.produce([toBusMessage(captured())]);
    await until(() => store.get('return-bk-1')?.state === 'completed');
    await second.flush();
    const saga = store.get('return-bk-1')!;
    expect(saga.steps.map((s) => s.type)).toEqual(['TripEnded', 'ReturnStarted', 'ReturnVerified', 'FleetDecisionMade', 'PaymentRequested', 'PaymentProcessed', 'ReturnClosed']);
    expect((await sagaEvents(4)).map((e) => e.type)).toEqual(['ReturnStarted', 'FleetDecisionMade', 'PaymentRequested', 'ReturnClosed']);
  });

  it('a deadline that passed while the service was down fires on the first tick after the restart', async () => {
    const first = await started();
    await bus.produce([toBusMessage(tripEnded())]);
    await until(() => store.get('return-bk-1')?.state === 'awaiting_verdict');
    await first.stop();
    clock = T0 + 45 * MIN;
    const second = await started();
    await second.tick();
    expect(store.get('return-bk-1')).toMatchObject({ state: 'awaiting_payment', decision: 'held_for_inspection', decisionReasons: ['verdict_timeout'], dueAt: T0 + 60 * MIN });
  });

  it('steps the bus refused stay in the outbox and go out once it takes them', async () => {
    const service = await started();
    const produce = bus.produce.bind(bus);
    let refuse = true;
    bus.produce = async (messages) => {
      if (refuse && messages.some((m) => m.value.includes('cloud:returns'))) throw new Error('bus down');
      return produce(messages);
    };
    await produce([toBusMessage(tripEnded())]);
    await until(() => store.get('return-bk-1') !== undefined);
    await service.flush();
    expect(store.outbox(10)).toHaveLength(1);
    refuse = false;
    await service.tick();
    expect(store.outbox(10)).toEqual([]);
    expect((await sagaEvents(1)).map((e) => e.type)).toEqual(['ReturnStarted']);
  });
});

describe('payment webhook', () => {
  async function paymentSystem(answer: (attempt: number) => number): Promise<{ url: string; received: Array<EventEnvelope<'PaymentRequested'>> }> {
    const received: Array<EventEnvelope<'PaymentRequested'>> = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body) as EventEnvelope<'PaymentRequested'>);
        response.writeHead(answer(received.length)).end();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/payments`, received };
  }

  async function webhook(url: string, now = () => clock, groupId = 'fleetwire-payment-webhook') {
    const metrics = new Registry();
    const adapter = createPaymentWebhook({ bus, url, token: 'pay-secret', groupId, fromBeginning: true, requestTimeoutMs: 2000, attempts: 3, backoffMs: 1, metrics, logger, now });
    await adapter.start();
    running.push(adapter);
    return metrics;
  }

  const count = async (metrics: Registry, outcome: string) => (await metrics.getSingleMetric('fleetwire_payment_webhook_requests_total')?.get())?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

  it('delivers each PaymentRequested, retrying a payment system that failed, and the saga completes on its answer', async () => {
    const payments = await paymentSystem((call) => (call === 1 ? 503 : 202));
    await started();
    const metrics = await webhook(payments.url);
    await bus.produce([tripEnded(), verdict('accepted')].map((r) => toBusMessage(r)));
    await untilAsync(async () => (await count(metrics, 'delivered')) === 1);
    expect(payments.received.map((e) => [e.type, e.correlationId, e.data.attempt])).toEqual([['PaymentRequested', 'return-bk-1', 1], ['PaymentRequested', 'return-bk-1', 1]]);
    expect(payments.received[0]!.data).toMatchObject({ paymentRequestId: 'return-bk-1', holdDeposit: false });
    await bus.produce([toBusMessage(captured())]);
    await until(() => store.get('return-bk-1')?.state === 'completed');
  });

  it('does not send a request whose answer is already overdue, nor again one the payment system refused', async () => {
    const payments = await paymentSystem(() => 400);
    await started();
    await bus.produce([tripEnded(), verdict('accepted')].map((r) => toBusMessage(r)));
    const refusing = await webhook(payments.url, () => T0);
    await untilAsync(async () => (await count(refusing, 'refused')) === 1);
    // A second adapter reads the same request once its answer is due: it is not sent.
    const late = await webhook(payments.url, () => T0 + 15 * MIN, 'fleetwire-payment-webhook-late');
    await untilAsync(async () => (await count(late, 'expired')) === 1);
    expect(payments.received).toHaveLength(1);
  });
});
