import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent, type EventData, type EventEnvelope } from '@fleetwire/protocol';
import { eventDataFixture } from '@fleetwire/protocol/testing';
import { Value } from '@sinclair/typebox/value';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../http/server.js';
import { onEvent } from './return-saga.js';
import { returnsRoutes } from './returns-routes.js';
import { sagaRecords } from './saga-records.js';
import { ReturnPolicySchema, type ReturnPolicy } from './settings.js';
import { openSqliteReturnStore, type ReturnStore } from './sqlite-return-store.js';

const READ_TOKEN = 'read-token-0123456789';
const policy = Value.Default(ReturnPolicySchema, {}) as ReturnPolicy;
const T0 = Date.parse('2026-03-02T10:00:00Z');
let dir = '';
let store: ReturnStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-returns-api-'));
  store = openSqliteReturnStore(join(dir, 'returns.sqlite'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Stores booking bk-{n}'s saga after these events, at T0 + n seconds. */
function stored(n: number, ...types: Array<'TripEnded' | 'ReturnVerified'>): void {
  let saga;
  for (const type of types) {
    const data = { ...eventDataFixture(type), bookingId: `bk-${n}`, vehicleId: 'VH-1', tripId: `tr-${n}`, ...(type === 'ReturnVerified' ? { verdict: 'accepted', returnId: `rt-${n}` } : {}) } as EventData[typeof type];
    const event = createEvent(type, { eventId: `VH-1:b1:${n}${types.indexOf(type)}`, source: 'edge:node-1', subject: { kind: 'vehicle', id: 'VH-1' }, occurredAt: T0, data }) as EventEnvelope<typeof type>;
    const next = sagaRecords(onEvent(saga, event, T0 + n * 1000, policy)!, T0 + n * 1000);
    saga = next.saga;
  }
  store.store({ sagas: [saga!], records: [], offsets: [] });
}

async function appWith(readToken?: string) {
  const app = await createHttpServer({ logger: pino({ level: 'silent' }), bodyLimit: 1024, retryAfterSeconds: { busUnavailable: 5, overloaded: 1, inProgress: 1 } });
  await app.register(returnsRoutes, { store, readToken, maxListed: 10 });
  return app;
}

describe('returns API', () => {
  it('lists sagas newest first, filtered by state, with verdict, decision, payment and deadline', async () => {
    stored(1, 'TripEnded');
    stored(2, 'TripEnded', 'ReturnVerified');
    const app = await appWith();
    const all = (await app.inject({ url: '/v1/returns' })).json().returns;
    expect(all.map((r: { sagaId: string; state: string }) => [r.sagaId, r.state])).toEqual([['return-bk-2', 'awaiting_payment'], ['return-bk-1', 'awaiting_verdict']]);
    expect(all[0]).toMatchObject({
      bookingId: 'bk-2', vehicleId: 'VH-1', tripId: 'tr-2', decision: 'released', decisionReasons: [],
      verdict: { returnId: 'rt-2', verdict: 'accepted' }, payment: { attempt: 1, holdDeposit: false, adjustments: [], paymentId: null },
      dueAt: new Date(T0 + 2000 + policy.paymentTimeoutMs).toISOString(), startedAt: new Date(T0 + 2000).toISOString(),
    });
    expect(all[1]).toMatchObject({ verdict: null, decision: null, payment: null, dueAt: new Date(T0 + 1000 + policy.verdictTimeoutMs).toISOString() });
    const waiting = (await app.inject({ url: '/v1/returns?state=awaiting_verdict&limit=5' })).json().returns;
    expect(waiting.map((r: { sagaId: string }) => r.sagaId)).toEqual(['return-bk-1']);
  });

  it('answers one saga with its steps in order, and 404 for an unknown one', async () => {
    stored(2, 'TripEnded', 'ReturnVerified');
    const app = await appWith();
    const saga = (await app.inject({ url: '/v1/returns/return-bk-2' })).json();
    expect(saga.steps.map((s: { direction: string; type: string }) => `${s.direction}:${s.type}`)).toEqual([
      'consumed:TripEnded', 'emitted:ReturnStarted', 'consumed:ReturnVerified', 'emitted:FleetDecisionMade', 'emitted:PaymentRequested',
    ]);
    expect(saga.steps[4]).toMatchObject({ at: new Date(T0).toISOString(), recordedAt: new Date(T0 + 2000).toISOString(), detail: { paymentRequestId: 'return-bk-2', attempt: 1 } });
    const missing = await app.inject({ url: '/v1/returns/return-nope' });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'FW_NOT_FOUND']);
  });

  it('refuses an unknown state and a limit over the maximum, and asks for the read token when one is set', async () => {
    const app = await appWith(READ_TOKEN);
    const auth = { authorization: `Bearer ${READ_TOKEN}` };
    for (const query of ['state=lost', 'limit=11']) {
      const refused = await app.inject({ url: `/v1/returns?${query}`, headers: auth });
      expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'FW_REQUEST_INVALID']);
    }
    expect((await app.inject({ url: '/v1/returns' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/returns/return-bk-1' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/returns', headers: auth })).statusCode).toBe(200);
  });
});
