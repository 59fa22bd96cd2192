/**
 * Business events through the whole cloud: bookings and payments posted to `POST /v1/events`,
 * a trip sent by an edge node as a batch, and the analytics service's DailyUsageReports for that
 * day (as its API serves them) — bookings and revenue counted, the trip and the payment
 * attributed to the site of their booking.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent, createEventRecord, encodeBatch, type EventEnvelope } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCloudConfig } from '../config.js';
import { issueToken } from '../ingest/auth/tokens.js';
import { startCloud, type RunningCloud } from '../main.js';
import { issueClientToken } from './clients/client-tokens.js';

const DAY_MS = 86_400_000;
const day = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS;
const date = new Date(day).toISOString().slice(0, 10);
const at = (hours: number) => new Date(day + hours * 3_600_000).toISOString();

const node = issueToken('node-1');
const booking = issueClientToken('booking');
const payment = issueClientToken('payment');
const dir = mkdtempSync(join(tmpdir(), 'fw-bookings-analytics-'));
let cloud: RunningCloud;

beforeAll(async () => {
  cloud = await startCloud(
    resolveCloudConfig({
      dataDir: dir,
      logLevel: 'silent',
      http: { host: '127.0.0.1', port: 0 },
      bus: { kind: 'embedded', pollIntervalMs: 20 },
      auth: { nodes: [{ id: 'node-1', devices: ['VH-*'], tokens: [node.entry] }] },
      businessEvents: {
        clients: [
          { id: 'booking', eventTypes: ['VehicleBooked', 'BookingCancelled'], tokens: [booking.entry] },
          { id: 'payment', eventTypes: ['PaymentProcessed'], tokens: [payment.entry] },
        ],
      },
      analytics: { dailyLatenessMs: 0, idlePartitionMs: 100, snapshotIntervalMs: 0 },
      maintenance: { enabled: false },
    }),
  );
});

afterAll(async () => {
  await cloud.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function publish(event: EventEnvelope, token: string): Promise<void> {
  const answer = await fetch(`${cloud.address}/v1/events`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(event),
  });
  expect(answer.status, await answer.clone().text()).toBe(200);
}

const booked = (seq: number, vehicleId: string, bookingId: string, hours: number) =>
  createEvent('VehicleBooked', {
    eventId: `booking:d1:${seq}`, source: 'service:booking', subject: { kind: 'vehicle', id: vehicleId }, occurredAt: at(hours),
    data: { bookingId, vehicleId, customerRef: 'cu-1', startsAt: at(hours), endsAt: at(hours + 2), siteId: 'site-a' },
  });

describe('bookings and payments from the business events API in analytics', () => {
  it('counts bookings and captured revenue in the day, and attributes the trip and payment to the booking site', async () => {
    await publish(booked(1, 'VH-0001', 'bk-1', 9), booking.token);
    await publish(booked(2, 'VH-0002', 'bk-2', 10), booking.token);
    await publish(
      createEvent('BookingCancelled', { eventId: 'booking:d1:3', source: 'service:booking', subject: { kind: 'vehicle', id: 'VH-0002' }, occurredAt: at(10.5), data: { bookingId: 'bk-2', vehicleId: 'VH-0002', cancelledBy: 'customer' } }),
      booking.token,
    );
    const trip = createEvent('TripEnded', {
      eventId: 'VH-0001:b1:7', source: 'vehicle:VH-0001', subject: { kind: 'vehicle', id: 'VH-0001' }, occurredAt: at(10),
      data: { ...eventDataFixture('TripEnded'), tripId: 'tr-1', bookingId: 'bk-1', vehicleId: 'VH-0001', distanceKm: 12, durationS: 1800 },
    });
    const batch = encodeBatch({ nodeId: 'node-1', createdAt: Date.now(), records: [createEventRecord(trip, { source: { kind: 'vehicle', id: 'VH-0001' }, receivedAt: Date.now() })] });
    const sent = await fetch(`${cloud.address}/v1/batches`, { method: 'POST', headers: { ...batch.headers, authorization: `Bearer ${node.token}` }, body: batch.body });
    expect(await sent.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const pay = (seq: number, status: 'captured' | 'failed', amountMinor: number) =>
      createEvent('PaymentProcessed', {
        eventId: `payment:d1:${seq}`, source: 'service:payment', subject: { kind: 'booking', id: 'bk-1' }, occurredAt: at(10.2),
        data: { paymentId: `pay-${seq}`, bookingId: 'bk-1', amountMinor, currency: 'EUR', status, ...(status === 'failed' ? { failureReason: 'card_declined' } : {}) },
      });
    await publish(pay(1, 'failed', 999), payment.token);
    await publish(pay(2, 'captured', 1290), payment.token);
    // A booking on the next day moves the event clock past the end of the day: it closes.
    await publish(booked(4, 'VH-0003', 'bk-3', 30), booking.token);

    // The reports as the analytics API serves those this process emitted on the bus.
    type Report = { siteId?: string; bookings: number; trips: number; revenueMinor: number };
    const reports = async (): Promise<Report[]> =>
      ((await (await fetch(`${cloud.address}/v1/analytics/daily?from=${date}&to=${date}`)).json()) as { reports: Report[] }).reports;
    await expect.poll(async () => (await reports()).length, { timeout: 15_000, interval: 100 }).toBe(2);
    expect(await reports()).toEqual([
      expect.objectContaining({ date, bookings: 2, trips: 1, activeVehicles: 1, distanceKm: 12, revenueMinor: 1290, currency: 'EUR' }),
      expect.objectContaining({ date, siteId: 'site-a', bookings: 2, trips: 1, activeVehicles: 1, revenueMinor: 1290 }),
    ]);
    expect((await reports())[0]).not.toHaveProperty('siteId');
  });
});
