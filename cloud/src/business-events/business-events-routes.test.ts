import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_HEADERS, BUS_TOPICS, createEvent, fromBusValue, type EventType } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBack } from '../../test/support/bus-readback.js';
import type { Bus } from '../bus/bus.js';
import { createEmbeddedBus } from '../bus/embedded/index.js';
import { createHttpServer } from '../http/server.js';
import { createClientRegistry } from './clients/client-registry.js';
import { issueClientToken } from './clients/client-tokens.js';
import { businessEventsRoutes } from './business-events-routes.js';
import { createPseudonymiser } from './pseudonyms.js';
import { EVENTS_PATH } from './schemas.js';

const booking = issueClientToken('booking');
const payment = issueClientToken('payment');
const revoked = issueClientToken('retired');
const clients = createClientRegistry([
  { id: 'booking', eventTypes: ['VehicleBooked', 'BookingCancelled'], tokens: [booking.entry] },
  { id: 'payment', eventTypes: ['PaymentProcessed'], tokens: [payment.entry] },
  { id: 'retired', eventTypes: ['VehicleBooked'], revoked: true, tokens: [revoked.entry] },
]);

const pseudonymise = createPseudonymiser(Buffer.alloc(32, 7));

let dir: string;
let bus: Bus;
let metrics: Registry;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-business-'));
  bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), pollIntervalMs: 20 }, {});
  metrics = new Registry();
});

afterEach(async () => {
  await bus.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function app() {
  const server = await createHttpServer({
    logger: pino({ level: 'silent' }), bodyLimit: 1 << 20, retryAfterSeconds: { busUnavailable: 5, overloaded: 1, inProgress: 1 },
  });
  await server.register(businessEventsRoutes, {
    bus, clients, metrics, retryAfterSeconds: { busUnavailable: 5, overloaded: 1, inProgress: 1 },
    settings: { maxEventBytes: 4096, maxDeadLetterBytes: 4096, recentEventIds: 100, recentEventIdsTtlMs: 60_000 },
    pseudonymise, now: () => 1_750_000_000_000,
  });
  return server;
}

function event(type: EventType, client: string, seq: number, overrides: Record<string, unknown> = {}) {
  const data = eventDataFixture(type) as { bookingId: string; vehicleId?: string };
  const subject = data.vehicleId === undefined ? { kind: 'booking' as const, id: data.bookingId } : { kind: 'vehicle' as const, id: data.vehicleId };
  return { ...createEvent(type, { eventId: `${client}:e1:${seq}`, source: `service:${client}`, subject, data: data as never, occurredAt: '2025-06-01T09:00:00Z' }), ...overrides };
}

const post = (server: Awaited<ReturnType<typeof app>>, body: unknown, token: string | null = booking.token) =>
  server.inject({
    method: 'POST', url: EVENTS_PATH,
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /v1/events', () => {
  it('stores each business event once, as a record of the calling service keyed by its subject', async () => {
    const server = await app();
    const booked = event('VehicleBooked', 'booking', 1);
    const cancelled = event('BookingCancelled', 'booking', 2);
    const paid = event('PaymentProcessed', 'payment', 1);
    const answers = [await post(server, booked), await post(server, cancelled), await post(server, paid, payment.token), await post(server, booked)];
    expect(answers.map((a) => [a.statusCode, a.json()])).toEqual([
      [200, { eventId: 'booking:e1:1', outcome: 'accepted' }],
      [200, { eventId: 'booking:e1:2', outcome: 'accepted' }],
      [200, { eventId: 'payment:e1:1', outcome: 'accepted' }],
      [200, { eventId: 'booking:e1:1', outcome: 'duplicate' }],
    ]);
    const onBus = await readBack(bus, [BUS_TOPICS.events], (m) => m.length >= 3);
    expect(onBus).toHaveLength(3);
    const byId = new Map(onBus.map((m) => [m.headers[BUS_HEADERS.id], m]));
    expect([...byId.keys()].sort()).toEqual(['booking:e1:1', 'booking:e1:2', 'payment:e1:1']);
    expect(byId.get('booking:e1:1')!.key).toBe('VH-0001');
    expect(byId.get('payment:e1:1')!.key).toBe('booking-0007');
    const record = fromBusValue(byId.get('payment:e1:1')!.value);
    expect(record.ok && record.value).toMatchObject({
      id: 'payment:e1:1', kind: 'event', source: { kind: 'service', id: 'payment' }, priority: 'critical', receivedAt: 1_750_000_000_000,
      deviceTime: Date.parse('2025-06-01T09:00:00Z'), payload: { type: 'PaymentProcessed', data: { status: 'captured', amountMinor: 1890 } },
    });
    expect(await metrics.getSingleMetricAsString('fleetwire_business_events_requests_total')).toContain('outcome="duplicate"} 1');
    // The customer reference left the API only as its keyed pseudonym.
    const bookedRecord = fromBusValue(byId.get('booking:e1:1')!.value);
    const customerRef = bookedRecord.ok && bookedRecord.value.kind === 'event' && (bookedRecord.value.payload.data as { customerRef: string }).customerRef;
    expect(customerRef).toBe(pseudonymise('cust-5f2a'));
    expect(customerRef).toMatch(/^p1_[A-Za-z0-9_-]{43}$/);
    expect(byId.get('booking:e1:1')!.value.toString()).not.toContain('cust-5f2a');
  });

  it('answers concurrent copies of one event with one accepted and the rest duplicate, producing it once', async () => {
    const server = await app();
    const booked = event('VehicleBooked', 'booking', 9);
    const answers = await Promise.all([post(server, booked), post(server, booked), post(server, booked)]);
    expect(answers.map((a) => a.json().outcome).sort()).toEqual(['accepted', 'duplicate', 'duplicate']);
    const onBus = await readBack(bus, [BUS_TOPICS.events], () => false, 500);
    expect(onBus.map((m) => m.headers[BUS_HEADERS.id])).toEqual(['booking:e1:9']);
  });

  it('refuses credentials it does not know, revoked ones and edge node tokens, producing nothing', async () => {
    const server = await app();
    const booked = event('VehicleBooked', 'booking', 1);
    const cases = [
      [null, 401, 'FW_AUTH_MISSING'],
      ['fwb1.booking.not-the-secret', 401, 'FW_AUTH_INVALID'],
      ['fw1.booking.an-edge-node-token-format', 401, 'FW_AUTH_INVALID'],
      [revoked.token, 401, 'FW_AUTH_REVOKED'],
    ] as const;
    for (const [token, status, code] of cases) {
      const answer = await post(server, booked, token);
      expect([answer.statusCode, answer.json().error.code], String(token)).toEqual([status, code]);
    }
    expect(await readBack(bus, [BUS_TOPICS.events, BUS_TOPICS.deadLetters], () => false, 300)).toEqual([]);
  });

  it('refuses a bad event with a clear code and dead-letters its bytes with the protocol reason', async () => {
    const server = await app();
    const cases: Array<[string, unknown, string, number, string, string]> = [
      ['not json', '{"eventId":', booking.token, 400, 'FW_EVENT_INVALID', 'malformed_json'],
      ['schema', { ...event('VehicleBooked', 'booking', 3), data: { bookingId: 'b-1' } }, booking.token, 400, 'FW_EVENT_INVALID', 'schema_violation'],
      ['type never a business event', event('TripEnded', 'booking', 4), booking.token, 403, 'FW_EVENT_TYPE_NOT_ALLOWED', 'event_type_not_allowed'],
      ['type of another client', event('PaymentProcessed', 'booking', 5), booking.token, 403, 'FW_EVENT_TYPE_NOT_ALLOWED', 'event_type_not_allowed'],
      ['id of another client', event('VehicleBooked', 'payment', 6, { source: 'service:booking' }), booking.token, 403, 'FW_EVENT_SOURCE_MISMATCH', 'source_mismatch'],
      ['source of another client', event('VehicleBooked', 'booking', 7, { source: 'service:payment' }), booking.token, 403, 'FW_EVENT_SOURCE_MISMATCH', 'source_mismatch'],
      ['subject not in the data', event('VehicleBooked', 'booking', 8, { subject: { kind: 'vehicle', id: 'VH-9999' } }), booking.token, 400, 'FW_EVENT_SUBJECT_MISMATCH', 'subject_mismatch'],
    ];
    for (const [name, body, token, status, code, reason] of cases) {
      const answer = await post(server, body, token);
      expect([answer.statusCode, answer.json().error.code, answer.json().error.detail.split(':')[0]], name).toEqual([status, code, reason]);
    }
    const dead = await readBack(bus, [BUS_TOPICS.deadLetters], (m) => m.length >= cases.length);
    expect(dead.map((m) => m.headers[BUS_HEADERS.reason])).toEqual(cases.map((c) => c[5]));
    expect(dead.every((m) => m.key === 'booking' && m.headers[BUS_HEADERS.source] === 'booking')).toBe(true);
    expect(dead[0]!.value.toString()).toBe('{"eventId":');
    expect(dead[2]!.headers[BUS_HEADERS.id]).toBe('booking:e1:4');
    expect(await readBack(bus, [BUS_TOPICS.events], () => false, 300)).toEqual([]);
    expect(await metrics.getSingleMetricAsString('fleetwire_business_events_dead_lettered_total')).toContain('reason="source_mismatch"} 2');
  });

  it('refuses a body over maxEventBytes with 413 and another content type with 415', async () => {
    const server = await app();
    const big = await post(server, { ...event('VehicleBooked', 'booking', 1), padding: 'x'.repeat(5000) });
    expect([big.statusCode, big.json().error.code]).toEqual([413, 'FW_EVENT_TOO_LARGE']);
    const text = await server.inject({ method: 'POST', url: EVENTS_PATH, headers: { 'content-type': 'text/plain', authorization: `Bearer ${booking.token}` }, payload: 'hi' });
    expect([text.statusCode, text.json().error.code]).toEqual([415, 'FW_UNSUPPORTED_MEDIA_TYPE']);
  });

  it('answers 503 with retry-after while the bus cannot store, and accepts the same event once it can', async () => {
    const server = await app();
    const booked = event('VehicleBooked', 'booking', 1);
    await bus.close();
    const down = await post(server, booked);
    expect([down.statusCode, down.headers['retry-after'], down.json().error.code]).toEqual([503, '5', 'FW_BUS_CLOSED']);
    bus = createEmbeddedBus({ kind: 'embedded', path: join(dir, 'bus.sqlite'), pollIntervalMs: 20 }, {});
    metrics = new Registry();
    const server2 = await app();
    expect((await post(server2, booked)).json()).toEqual({ eventId: 'booking:e1:1', outcome: 'accepted' });
  });

  it('describes the route, its body and the client token in the OpenAPI document', async () => {
    const server = await app();
    await server.ready();
    const doc = server.swagger() as { paths: Record<string, { post: { security: unknown; requestBody: { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }> } } }>; components: { securitySchemes: Record<string, unknown> } };
    const route = doc.paths[EVENTS_PATH]!.post;
    expect(route.security).toEqual([{ businessClientToken: [] }]);
    expect(Object.keys(doc.components.securitySchemes)).toContain('businessClientToken');
    expect(JSON.stringify(route.requestBody.content['application/json']!.schema.properties.type)).toContain('BookingCancelled');
  });
});
