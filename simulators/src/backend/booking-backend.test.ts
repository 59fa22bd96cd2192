import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEvent, parseMessageId, validateEvent, type EventData, type EventEnvelope } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createBookingBackend } from './booking-backend.js';
import { servePaymentRequests } from './payment-requests.js';
import { chargeDeclined, DEFAULT_TARIFF, fareOf } from './fares.js';

interface Received {
  authorization: string | undefined;
  event: EventEnvelope;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

/** A stand-in for the cloud's POST /v1/events: answers from `answer(n)` for the n-th request. */
async function cloud(answer: (n: number, event: EventEnvelope) => number): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  let n = 0;
  server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const event = JSON.parse(body) as EventEnvelope;
      const status = answer(n++, event);
      if (status === 200) received.push({ authorization: request.headers.authorization, event });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(status === 200 ? { eventId: event.eventId, outcome: 'accepted' } : { error: { code: 'X' } }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, received };
}

/** The return saga's request to charge booking bk-{n}, as the cloud's payment webhook delivers it. */
function paymentRequested(n: number, adjustments: EventData['PaymentRequested']['adjustments'] = [], attempt = 1): EventEnvelope<'PaymentRequested'> {
  const data = {
    ...eventDataFixture('PaymentRequested'), sagaId: `return-bk-${n}`, paymentRequestId: `return-bk-${n}`, bookingId: `bk-${n}`, tripId: `tr-${n}`,
    durationS: 600, distanceKm: 5, tripEndedAt: '2026-01-01T10:00:00Z', adjustments, attempt,
  };
  return createEvent('PaymentRequested', { eventId: `returns:s${n}:${attempt}`, source: 'cloud:returns', subject: { kind: 'vehicle', id: 'VH-0001' }, correlationId: `return-bk-${n}`, data, occurredAt: '2026-01-01T10:05:00Z' });
}

describe('fares', () => {
  it('charges unlock fee, started minutes and kilometres', () => {
    expect(fareOf({ durationS: 601, distanceKm: 5.2 })).toBe(100 + 11 * 29 + 99);
    expect(fareOf({ durationS: 0, distanceKm: 0 })).toBe(DEFAULT_TARIFF.unlockFeeMinor);
  });

  it('declines a stable share of bookings', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `bk-${i}`);
    const declined = ids.filter((id) => chargeDeclined(id, 7, 0.05));
    expect(declined.length).toBeGreaterThan(120);
    expect(declined.length).toBeLessThan(280);
    expect(ids.filter((id) => chargeDeclined(id, 7, 0.05))).toEqual(declined);
    expect(ids.filter((id) => chargeDeclined(id, 7, 0))).toEqual([]);
  });
});

describe('booking and payment backend', () => {
  it('publishes bookings with the booking token and one payment per payment request with the payment token', async () => {
    const { url, received } = await cloud(() => 200);
    const backend = createBookingBackend({ cloudUrl: url, bookingToken: 'fwb1.booking.b', paymentToken: 'fwb1.payment.p', seed: 3, failureShare: 0.5, epoch: 'e1' });
    const booked = createEvent('VehicleBooked', { eventId: 'booking:x:0', source: 'service:booking', subject: { kind: 'vehicle', id: 'VH-0001' }, data: eventDataFixture('VehicleBooked') });
    backend.onBackendEvent(booked);
    for (let n = 0; n < 20; n += 1) backend.onPaymentRequested(paymentRequested(n));
    backend.onPaymentRequested(paymentRequested(3, [], 2));
    await backend.idle();

    expect(received[0]).toEqual({ authorization: 'Bearer fwb1.booking.b', event: booked });
    const payments = received.slice(1);
    expect(payments).toHaveLength(20);
    for (const { authorization, event } of payments) {
      expect(authorization).toBe('Bearer fwb1.payment.p');
      expect(validateEvent(event).ok).toBe(true);
      expect(parseMessageId(event.eventId)).toMatchObject({ deviceId: 'payment', epoch: 'e1' });
      const bookingId = (event.data as { bookingId: string }).bookingId;
      expect(event).toMatchObject({ type: 'PaymentProcessed', source: 'service:payment', subject: { kind: 'booking', id: bookingId }, correlationId: `return-${bookingId}`, occurredAt: '2026-01-01T10:00:00Z' });
    }
    const failed = payments.filter((p) => (p.event.data as { status: string }).status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((p) => (p.event.data as { failureReason?: string }).failureReason === 'card_declined')).toBe(true);
    const stats = backend.stats();
    expect(stats).toMatchObject({ charged: 20, declined: failed.length, payment: { accepted: 20, refused: 0 }, booking: { accepted: 1 } });
    expect(stats.revenueMinor).toBe((20 - failed.length) * fareOf({ durationS: 600, distanceKm: 5 }));
  });

  it('resends the same event after 503 until it is stored, and gives up on a refusal', async () => {
    const { url, received } = await cloud((n, event) => (n < 2 ? 503 : event.correlationId === 'return-bk-1' ? 403 : 200));
    const refused: Array<[string, number]> = [];
    const backend = createBookingBackend({ cloudUrl: url, bookingToken: 'b', paymentToken: 'p', failureShare: 0, epoch: 'e2', onRefused: (id, status) => refused.push([id, status]) });
    backend.onPaymentRequested(paymentRequested(0));
    backend.onPaymentRequested(paymentRequested(1));
    backend.onPaymentRequested(paymentRequested(2));
    await backend.idle();
    expect(received.map((r) => r.event.eventId)).toEqual(['payment:e2:0', 'payment:e2:2']);
    expect(refused).toEqual([['payment:e2:1', 403]]);
    expect(backend.stats().payment).toMatchObject({ accepted: 2, refused: 1, retries: 2, pending: 0 });
  });

  it('adds the adjustments of a compensated return to the fare', async () => {
    const { url, received } = await cloud(() => 200);
    const backend = createBookingBackend({ cloudUrl: url, bookingToken: 'b', paymentToken: 'p', failureShare: 0, epoch: 'e3' });
    backend.onPaymentRequested(paymentRequested(7, [{ reason: 'fraud_fee', amountMinor: 15_000, currency: 'EUR' }]));
    await backend.idle();
    expect(received.map((r) => (r.event.data as { amountMinor: number }).amountMinor)).toEqual([fareOf({ durationS: 600, distanceKm: 5 }) + 15_000]);
  });
});

describe('payment requests endpoint', () => {
  it('hands valid PaymentRequested envelopes over (202) and refuses other bodies and a wrong token', async () => {
    const handed: string[] = [];
    const endpoint = await servePaymentRequests({ token: 'pay-secret', onRequest: (event) => handed.push(event.data.paymentRequestId) });
    const post = (body: unknown, token = 'pay-secret') =>
      fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) }).then((r) => r.status);
    try {
      expect(await post(paymentRequested(1))).toBe(202);
      expect(await post(paymentRequested(1), 'wrong')).toBe(401);
      expect(await post({ ...paymentRequested(2), data: { attempt: 0 } })).toBe(400);
      expect(await post(createEvent('TripStarted', { eventId: 'VH-0001:b:1', source: 'vehicle:VH-0001', subject: { kind: 'vehicle', id: 'VH-0001' }, data: eventDataFixture('TripStarted') }))).toBe(400);
      expect(handed).toEqual(['return-bk-1']);
      expect(endpoint.received()).toBe(1);
    } finally {
      await endpoint.close();
    }
  });
});
