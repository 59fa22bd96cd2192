/**
 * The return saga across a crash of the cloud process: the cloud runs as a child process on the
 * embedded bus with its payment webhook pointed at the simulated payment service's endpoint. One
 * return is killed (SIGKILL) while it waits for the payment answer, another while it waits for
 * its verdict; the cloud started again on the same data directory rebuilds both sagas from its
 * store and completes them, each step once, with the audit trail recording the decisions and
 * payment requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent, createEventRecord, type EventData, type EventEnvelope, type EventRecord } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import { servePaymentRequests, type PaymentRequestsEndpoint } from '@fleetwire/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueClientToken, issueToken } from '../src/index.js';
import { startCloudProcess, type CloudProcess } from '@fleetwire/test-servers/testing';
import { batchOf } from './support/batches.js';
import { sendBatch } from './support/sender.js';

const NODE = 'saga-edge';
const dir = mkdtempSync(join(tmpdir(), 'fw-saga-restart-'));
const node = issueToken(NODE);
const payment = issueClientToken('payment');
const requests: Array<EventEnvelope<'PaymentRequested'>> = [];
let payments: PaymentRequestsEndpoint;
let cloud: CloudProcess | undefined;
let config: Record<string, unknown>;

beforeAll(async () => {
  payments = await servePaymentRequests({ token: 'webhook-secret', onRequest: (event) => requests.push(event) });
  config = {
    dataDir: join(dir, 'cloud'),
    logLevel: 'info',
    http: { host: '127.0.0.1', port: 0 },
    auth: { nodes: [{ id: NODE, devices: ['VH-*'], tokens: [node.entry] }] },
    businessEvents: { clients: [{ id: 'payment', eventTypes: ['PaymentProcessed'], tokens: [payment.entry] }] },
    returns: { tickIntervalMs: 100, payment: { webhookUrl: payments.url, token: 'webhook-secret' } },
  };
});

afterAll(async () => {
  await cloud?.stop('SIGKILL');
  await payments.close();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const at = Date.now() - 60_000;
function edgeRecord<T extends 'TripEnded' | 'ReturnVerified' | 'FraudDetected'>(type: T, vehicleId: string, data: Partial<EventData[T]>): EventRecord {
  const fromVehicle = type === 'TripEnded';
  const eventId = fromVehicle ? `${vehicleId}:b1:${seq++}` : `${NODE}:v1:${seq++}`;
  const event = createEvent(type, {
    eventId, source: fromVehicle ? `vehicle:${vehicleId}` : `edge:${NODE}`, subject: { kind: 'vehicle', id: vehicleId }, occurredAt: at,
    data: { ...eventDataFixture(type), ...data } as EventData[T],
  });
  return createEventRecord(event as EventEnvelope, { source: fromVehicle ? { kind: 'vehicle', id: vehicleId } : { kind: 'edge', id: NODE }, receivedAt: at + 100 });
}
const refs = (n: string) => ({ bookingId: `bk-${n}`, vehicleId: `VH-${n}`, tripId: `tr-${n}` });

async function send(records: EventRecord[]): Promise<void> {
  const result = await sendBatch(cloud!.address, node.token, batchOf(NODE, records));
  expect(result.status).toBe(200);
}

async function saga(id: string): Promise<{ state: string; decision: string | null; steps: Array<{ type: string; direction: string }> } | undefined> {
  const answer = await fetch(`${cloud!.address}/v1/returns/${id}`);
  return answer.status === 404 ? undefined : ((await answer.json()) as never);
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function pay(request: EventEnvelope<'PaymentRequested'>): Promise<void> {
  const event = createEvent('PaymentProcessed', {
    eventId: `payment:p1:${seq++}`, source: 'service:payment', subject: { kind: 'booking', id: request.data.bookingId }, correlationId: request.data.sagaId,
    data: { paymentId: `pay-${request.data.bookingId}`, bookingId: request.data.bookingId, amountMinor: 1234, currency: 'EUR', status: 'captured' },
  });
  const answer = await fetch(`${cloud!.address}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${payment.token}` }, body: JSON.stringify(event) });
  expect(answer.status).toBe(200);
}

describe('return saga across a killed cloud process', () => {
  it('completes the sagas it was running when it was killed, each step once', async () => {
    cloud = await startCloudProcess(config, dir);
    // A: verdict in, payment asked, no answer yet. B: trip ended, no verdict yet.
    await send([
      edgeRecord('TripEnded', 'VH-a', refs('a')),
      edgeRecord('ReturnVerified', 'VH-a', { ...refs('a'), returnId: 'rt-a', verdict: 'review', fraud: { score: 0.1, reasons: [] }, parkedInGeofence: true, damage: { score: 0.7, findings: [{ label: 'dent', confidence: 0.7 }] } }),
      edgeRecord('TripEnded', 'VH-b', refs('b')),
    ]);
    await until(() => requests.some((r) => r.data.bookingId === 'bk-a'), 'the payment request of bk-a');
    await until(async () => (await saga('return-bk-b'))?.state === 'awaiting_verdict', 'saga bk-b awaiting its verdict');
    expect((await saga('return-bk-a'))?.state).toBe('awaiting_payment');
    await cloud.stop('SIGKILL');

    cloud = await startCloudProcess(config, dir);
    expect((await saga('return-bk-a'))?.state).toBe('awaiting_payment');
    expect((await saga('return-bk-b'))?.state).toBe('awaiting_verdict');
    await pay(requests.find((r) => r.data.bookingId === 'bk-a')!);
    await send([
      edgeRecord('ReturnVerified', 'VH-b', { ...refs('b'), returnId: 'rt-b', verdict: 'rejected', fraud: { score: 0.97, reasons: ['screen_recapture'] }, parkedInGeofence: true }),
      edgeRecord('FraudDetected', 'VH-b', { ...refs('b'), returnId: 'rt-b', score: 0.97, reasons: ['screen_recapture'] }),
    ]);
    await until(() => requests.some((r) => r.data.bookingId === 'bk-b'), 'the payment request of bk-b');
    await pay(requests.find((r) => r.data.bookingId === 'bk-b')!);
    await until(async () => (await saga('return-bk-a'))?.state === 'completed' && (await saga('return-bk-b'))?.state === 'completed', 'both sagas completed');

    const a = (await saga('return-bk-a'))!;
    expect(a.decision).toBe('held_for_inspection');
    expect(a.steps.map((s) => `${s.direction}:${s.type}`)).toEqual([
      'consumed:TripEnded', 'emitted:ReturnStarted', 'consumed:ReturnVerified', 'emitted:FleetDecisionMade', 'emitted:DepositHeld',
      'emitted:TechnicianTaskCreated', 'emitted:PaymentRequested', 'consumed:PaymentProcessed', 'emitted:ReturnClosed',
    ]);
    const b = (await saga('return-bk-b'))!;
    expect(b.decision).toBe('blocked_for_fraud');
    expect(b.steps.filter((s) => s.direction === 'emitted').map((s) => s.type)).toEqual([
      'ReturnStarted', 'FleetDecisionMade', 'DepositHeld', 'ChargeAdjusted', 'TechnicianTaskCreated', 'PaymentRequested', 'ReturnClosed',
    ]);
    // At-least-once delivery to the payment service, always the same request.
    const asked = requests.filter((r) => r.data.bookingId === 'bk-b');
    expect(new Set(asked.map((r) => `${r.eventId}/${r.data.paymentRequestId}/${r.data.attempt}`)).size).toBe(1);
    expect(asked[0]!.data.adjustments).toEqual([{ reason: 'fraud_fee', amountMinor: 15_000, currency: 'EUR' }]);

    const listed = (await (await fetch(`${cloud.address}/v1/returns?state=completed`)).json()) as { returns: Array<{ sagaId: string }> };
    expect(listed.returns.map((r) => r.sagaId).sort()).toEqual(['return-bk-a', 'return-bk-b']);
  });

  it('records the fleet decisions, compensations, payment requests and closings in the audit trail', async () => {
    const entries = async (subject: string) =>
      ((await (await fetch(`${cloud!.address}/v1/audit?subject=${subject}`)).json()) as { entries: Array<{ action: string; detail: { sagaId?: string } }> }).entries;
    await until(async () => (await entries('booking:bk-b')).some((e) => e.action === 'return_closed'), 'the audit entry of bk-b closing');
    const booking = await entries('booking:bk-b');
    expect(booking.filter((e) => e.detail.sagaId === 'return-bk-b').map((e) => e.action)).toEqual(['return_compensation', 'return_compensation', 'return_compensation', 'payment_request', 'return_closed']);
    const vehicle = await entries('vehicle:VH-b');
    expect(vehicle.filter((e) => e.action === 'fleet_decision')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ decision: 'blocked_for_fraud', sagaId: 'return-bk-b' }) })]);
  });
});
