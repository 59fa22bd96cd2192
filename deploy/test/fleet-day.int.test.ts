/**
 * Most of a day of a simulated fleet through the real edge and cloud in about a minute: device
 * clocks run on simulated time over 22¾ hours of the last day (the edge accepts clocks up to a
 * day off), chosen so the run crosses a UTC midnight and the analytics service closes that day. The booking and
 * payment backend publishes through the business events API. Read back from the cloud's
 * embedded bus: the fleet's events, the edge's verdicts and alerts, the business events and the
 * analytics reports — a DailyUsageReport whose bookings and revenue come from the backend and
 * whose trips are attributed to the sites of their bookings — and every verified return's saga
 * run to its close, the payment requested from the backend's payment service by the cloud's
 * payment webhook.
 *
 * What one run cannot show: DemandSpike needs at least a day of booking history per area before
 * a window is judged, and the edge refuses to trust device clocks more than a day off, so a spike
 * would need more than a day of simulated history (see docs/business-events.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueClientToken, issueToken, resolveCloudConfig, startCloud, type RunningCloud } from '@fleetwire/cloud';
import { generateReturnKeyPair, issueReturnToken, loadEdgeConfig, startEdgeAgent, type EdgeAgent } from '@fleetwire/edge';
import { type EventData, type EventEnvelope, type EventRecord, type EventType } from '@fleetwire/protocol';
import { createBookingBackend, createFleetSimulation, createMobileApp, servePaymentRequests, type BookingBackend } from '@fleetwire/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDeviceRegistry, writeReturnAreas } from '../src/demo/demo-secrets.js';
import { fetchMetrics, sumMetric } from '../src/demo/metrics-text.js';
import { eventsInLog } from './support/fleet-readback.js';
import { freePort } from './support/waiting.js';

const HOUR = 3_600_000;
const SIMULATED_MS = 22.75 * HOUR;
const RUN_MS = 75_000;
const dir = mkdtempSync(join(tmpdir(), 'fleetwire-fleet-day-'));
const stops: Array<() => Promise<void>> = [];
let events: EventRecord[] = [];
let backend: BookingBackend;
let startTime: number;

/**
 * A start whose simulated stretch contains the last UTC midnight, ends two minutes before now and
 * begins less than a day ago (the edge trusts no clock further off). Only within the last ~6
 * minutes before a midnight is there none.
 */
function crossingMidnight(now: number): number {
  const midnight = Math.floor(now / 86_400_000) * 86_400_000;
  const latest = now - SIMULATED_MS - 2 * 60_000;
  const earliest = now - 23.9 * HOUR;
  return Math.min(latest, Math.max(earliest, midnight - SIMULATED_MS / 2));
}

beforeAll(async () => {
  const node = issueToken('day-edge');
  const booking = issueClientToken('booking');
  const payment = issueClientToken('payment');
  const payments = await servePaymentRequests({ onRequest: (event) => backend.onPaymentRequested(event) });
  stops.push(() => payments.close());
  const cloud: RunningCloud = await startCloud(
    resolveCloudConfig({
      dataDir: join(dir, 'cloud'),
      logLevel: 'warn',
      http: { host: '127.0.0.1', port: 0 },
      auth: { nodes: [{ id: 'day-edge', devices: ['VH-*', 'CH-*'], tokens: [node.entry] }] },
      businessEvents: {
        clients: [
          { id: 'booking', eventTypes: ['VehicleBooked', 'BookingCancelled'], tokens: [booking.entry] },
          { id: 'payment', eventTypes: ['PaymentProcessed'], tokens: [payment.entry] },
        ],
      },
      analytics: { dailyLatenessMs: 0, idlePartitionMs: 2_000, snapshotIntervalMs: 5_000 },
      returns: { tickIntervalMs: 200, payment: { webhookUrl: payments.url } },
    }),
  );
  stops.push(() => cloud.stop());

  backend = createBookingBackend({ cloudUrl: cloud.address, bookingToken: booking.token, paymentToken: payment.token, seed: 11, failureShare: 0.1 });
  const bookingKeys = await generateReturnKeyPair('fleet-day');
  const returnTokenKeysFile = join(dir, 'return-token-keys.json');
  writeFileSync(returnTokenKeysFile, JSON.stringify({ keys: [bookingKeys.publicKey] }));
  const returns: { app?: ReturnType<typeof createMobileApp> } = {};
  startTime = crossingMidnight(Date.now());
  const mqttPort = await freePort();
  const fleet = createFleetSimulation({
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    vehicles: 8,
    chargers: 2,
    seed: 11,
    speed: SIMULATED_MS / RUN_MS,
    startTime,
    timestamps: 'simulated',
    settings: { bookingsPerHour: 0.5, telemetryIntervalMs: 120_000, parkedTelemetryIntervalMs: 600_000, chargerTelemetryIntervalMs: 600_000, degradationScale: 300 },
    onBackendEvent: (event) => backend.onBackendEvent(event),
    onDeviceEvent: (event: EventEnvelope) => {
      if (event.type !== 'TripEnded') return;
      const trip = event.data as EventData['TripEnded'];
      returns.app?.returnVehicle({ tripId: trip.tripId, bookingId: trip.bookingId, vehicleId: trip.vehicleId, endPosition: trip.endPosition });
    },
  });
  const edge: EdgeAgent = await startEdgeAgent(
    loadEdgeConfig({
      overrides: {
        nodeId: 'day-edge',
        dataDir: join(dir, 'edge'),
        logLevel: 'warn',
        cloud: { url: cloud.address, token: node.token },
        devices: { registryFile: await ensureDeviceRegistry(dir, fleet.credentials()) },
        intake: { maxClockSkewMs: 86_400_000 },
        rules: { batteryLow: { thresholdPct: 99, hysteresisPct: 50 } },
        vision: { enabled: true, returnTokenKeysFile, returnAreasFile: writeReturnAreas(dir, fleet.model.world.city.sites) },
        mqtt: { host: '127.0.0.1', port: mqttPort },
        http: { host: '127.0.0.1', port: await freePort() },
        photoApi: { host: '127.0.0.1', port: 0 },
      },
    }),
  );
  stops.push(() => edge.stop());
  const app = createMobileApp({ edgeUrl: edge.addresses.photos!, seed: 11, rates: { damage: 0.2, fraud: 0.3 }, returnToken: (claims) => issueReturnToken(bookingKeys.privateKey, claims) });
  returns.app = app;

  await fleet.start();
  await new Promise((resolve) => setTimeout(resolve, RUN_MS));
  await fleet.stop({ drainMs: 5_000 });
  await Promise.race([app.idle(), new Promise((resolve) => setTimeout(resolve, 30_000))]);
  await backend.idle();
  // The edge forwards what it holds; then analytics gets a few idle seconds to close the day.
  const edgeMetrics = `${edge.addresses.http!}/metrics`;
  for (let waited = 0; waited < 30_000 && sumMetric(await fetchMetrics(edgeMetrics), 'fleetwire_buffer_backlog_records') > 0; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // Each verdict's saga asks the payment service, which answers through the business events API.
  const { accepted, review, rejected } = app.stats().outcomes;
  for (let waited = 0; waited < 30_000 && (await closedWithVerdict(cloud.address)) < accepted + review + rejected; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await backend.idle();
  await new Promise((resolve) => setTimeout(resolve, 8_000));
  for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) await stop();
  events = eventsInLog(join(dir, 'cloud', 'bus.sqlite'));
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.payload.type, (counts.get(e.payload.type) ?? 0) + 1);
  console.log(`fleet day: ${events.length} events on the bus: ${[...counts].map(([t, n]) => `${t} ${n}`).join(', ')}; backend ${JSON.stringify(backend.stats())}`);
}, 240_000);

/** Return sagas that had a verdict and are closed. */
async function closedWithVerdict(address: string): Promise<number> {
  const answer = (await (await fetch(`${address}/v1/returns`)).json()) as { returns: Array<{ state: string; verdict: unknown }> };
  return answer.returns.filter((r) => r.verdict !== null && !r.state.startsWith('awaiting')).length;
}

afterAll(async () => {
  for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) await stop();
  rmSync(dir, { recursive: true, force: true });
});

const ofType = <T extends EventType>(type: T) => events.filter((e) => e.payload.type === type).map((e) => e.payload as EventEnvelope<T>);

describe('a simulated fleet day through edge and cloud', () => {
  it('puts the core events of the design on the bus', () => {
    const present = new Set(events.map((e) => e.payload.type));
    const core: EventType[] = ['VehicleBooked', 'VehicleUnlocked', 'TripStarted', 'TripEnded', 'ReturnVerified', 'PaymentProcessed', 'MaintenanceRequired', 'BatteryLow', 'FraudDetected', 'DailyUsageReport', 'FleetStatusSnapshot'];
    expect(core.filter((type) => !present.has(type))).toEqual([]);
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
    const stats = backend.stats();
    expect(stats.booking.accepted).toBe(bookings.length);
    expect(stats.payment.accepted).toBe(payments.length);
    expect([stats.booking.refused, stats.payment.refused]).toEqual([0, 0]);
  });

  it("closes the day the run crossed with the backend's bookings and revenue, trips attributed to booking sites", () => {
    const midnight = Math.ceil(startTime / 86_400_000) * 86_400_000;
    const closed = new Date(midnight - 1).toISOString().slice(0, 10);
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
});
