/**
 * A simulated fleet day through edge and cloud on the embedded bus (support/fleet-day.ts runs it).
 * Read back from the cloud's bus log: the fleet's events, the edge's verdicts and alerts, the
 * business events and the analytics reports — a DailyUsageReport whose bookings and revenue come
 * from the backend and whose trips are attributed to the sites of their bookings, a DemandSpike
 * at the site of the morning's demand surge and nowhere else — and every verified return's saga
 * run to its close, the payment requested from the backend's payment service by the cloud's
 * payment webhook.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventRecord, type EventType } from '@fleetwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleetDay, type FleetDay } from './support/fleet-day.js';
import { bookingsInWindow, CORE_EVENTS, countsByType, ofType as ofTypeIn } from './support/fleet-day-findings.js';
import { eventsInLog } from './support/fleet-readback.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetwire-fleet-day-'));
let events: EventRecord[] = [];
let day: FleetDay;

beforeAll(async () => {
  day = await runFleetDay({ dir });
  events = eventsInLog(join(dir, 'cloud', 'bus.sqlite'));
  console.log(`fleet day: ${events.length} events on the bus: ${countsByType(events)}; backend ${JSON.stringify(day.backend.stats())}`);
}, 240_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ofType = <T extends EventType>(type: T) => ofTypeIn(events, type);

describe('a simulated fleet day through edge and cloud', () => {
  it('puts the core events of the design on the bus', () => {
    const present = new Set(events.map((e) => e.payload.type));
    expect(CORE_EVENTS.filter((type) => !present.has(type))).toEqual([]);
  });

  it('runs the return saga of every verified return to its close: decision, payment request, payment, one saga id throughout', () => {
    const verdicts = ofType('ReturnVerified');
    const closed = new Map(ofType('ReturnClosed').map((e) => [e.data.bookingId, e]));
    const decisions = ofType('FleetDecisionMade');
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.filter((v) => !closed.has(v.data.bookingId)).map((v) => v.data.bookingId)).toEqual([]);
    expect(decisions.map((d) => d.data.bookingId).sort()).toEqual(verdicts.map((v) => v.data.bookingId).sort());
    const sagaEvents = events.filter((e) => e.payload.source === 'cloud:returns').map((e) => e.payload);
    expect(sagaEvents.every((e) => e.correlationId === `return-${(e.data as { bookingId: string }).bookingId}`)).toBe(true);
    // A fraud verdict blocks the vehicle, and its payment carries the fraud fee.
    const blocked = decisions.filter((d) => d.data.decision === 'blocked_for_fraud').map((d) => d.data.bookingId);
    expect(blocked.length).toBeGreaterThan(0);
    const requests = ofType('PaymentRequested');
    expect(blocked.every((b) => requests.some((r) => r.data.bookingId === b && r.data.adjustments.some((a) => a.reason === 'fraud_fee')))).toBe(true);
    const payments = ofType('PaymentProcessed');
    expect(payments.every((p) => p.correlationId === `return-${p.data.bookingId}`)).toBe(true);
    expect([...closed.values()].map((c) => c.data.outcome).sort()).toEqual(payments.map((p) => (p.data.status === 'failed' ? 'payment_failed' : 'completed')).sort());
  });

  it('has the backend book and charge through the business events API, as services', () => {
    const bookings = ofType('VehicleBooked');
    const payments = ofType('PaymentProcessed');
    expect(bookings.every((e) => e.source === 'service:booking' && e.data.customerRef.startsWith('p1_'))).toBe(true);
    expect(payments.every((e) => e.source === 'service:payment')).toBe(true);
    expect(payments.some((e) => e.data.status === 'failed')).toBe(true);
    const stats = day.backend.stats();
    expect(stats.booking.accepted).toBe(bookings.length);
    expect(stats.payment.accepted).toBe(payments.length);
    expect([stats.booking.refused, stats.payment.refused]).toEqual([0, 0]);
  });

  it("closes the day the run crossed with the backend's bookings and revenue, trips attributed to booking sites", () => {
    const closed = new Date(day.midnight - 1).toISOString().slice(0, 10);
    const reports = ofType('DailyUsageReport').filter((e) => e.data.date === closed).map((e) => e.data);
    const fleetWide = reports.find((r) => r.siteId === undefined);
    const sites = reports.filter((r) => r.siteId !== undefined);
    const booked = ofType('VehicleBooked').filter((e) => new Date(e.occurredAt).toISOString().slice(0, 10) === closed);
    const captured = ofType('PaymentProcessed').filter((e) => e.data.status === 'captured' && new Date(e.occurredAt).toISOString().slice(0, 10) === closed);
    expect(fleetWide).toBeDefined();
    expect(fleetWide!.bookings).toBe(new Set(booked.map((e) => e.data.bookingId)).size);
    expect(fleetWide!.bookings).toBeGreaterThan(0);
    // A payment comes after the return's verdict and the saga's request: seconds of wall time,
    // which at this run's speed are hours of simulated time, so some of the day's payments reach
    // analytics after it closed the day and count as late (docs/analytics.md), never twice.
    expect(fleetWide!.revenueMinor).toBeLessThanOrEqual(captured.reduce((sum, e) => sum + e.data.amountMinor, 0));
    expect(fleetWide!.revenueMinor).toBeGreaterThan(0);
    expect(sites.length).toBeGreaterThan(0);
    // Every trip of the day belongs to the site of its booking (all bookings carry one).
    expect(sites.reduce((sum, r) => sum + r.trips, 0)).toBe(fleetWide!.trips);
    expect(sites.reduce((sum, r) => sum + r.revenueMinor, 0)).toBe(fleetWide!.revenueMinor);
  });

  it('raises a DemandSpike for the surge site in the surge, with the bookings the bus holds, and none elsewhere', () => {
    const spikes = ofType('DemandSpike').map((e) => e.data);
    const { surge } = day;
    expect(spikes.length).toBeGreaterThan(0);
    expect(spikes.filter((s) => s.siteId !== surge.siteId)).toEqual([]);
    const inSurge = spikes.filter((s) => Date.parse(s.window.start) >= surge.from && Date.parse(s.window.end) <= surge.to);
    expect(inSurge.length).toBeGreaterThan(0);
    const bookings = ofType('VehicleBooked');
    // The other sites were judged too: they had bookings that morning, never enough for a spike.
    const judged = new Set(bookings.filter((b) => Date.parse(b.occurredAt) >= day.midnight && b.data.siteId !== surge.siteId).map((b) => b.data.siteId));
    expect(judged.size).toBeGreaterThan(0);
    for (const spike of spikes) {
      expect(spike.bookings).toBe(bookingsInWindow(bookings, spike.siteId!, spike.window));
      expect(spike.bookings).toBeGreaterThanOrEqual(5);
      expect(spike.ratio).toBeCloseTo(spike.bookings / spike.baseline, 2);
    }
  });
});
