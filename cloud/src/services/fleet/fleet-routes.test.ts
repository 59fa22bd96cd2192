import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../http/server.js';
import { applyRecord } from './apply-record.js';
import { createFleetState } from './fleet-state.js';
import { createFleetReader } from './fleet-views.js';
import { fleetRoutes } from './fleet-routes.js';
import { reading, T0 } from '../../../test/support/fleet-records.js';

const READ_TOKEN = 'read-token-0123456789';

async function appWith(readToken?: string) {
  const state = createFleetState({ maxRecentEvents: 20 });
  applyRecord(state, reading('VH-1', 1, T0, { socPct: 77 }));
  const app = await createHttpServer({
    logger: pino({ level: 'silent' }), bodyLimit: 1024, retryAfterSeconds: { busUnavailable: 5, overloaded: 1, inProgress: 1 },
  });
  const reader = createFleetReader(state, { offlineAfterMs: 60_000, lowBatteryPct: 20, maxRecentEvents: 20 });
  await app.register(fleetRoutes, { reader, readToken, now: () => T0 + 1000 });
  return app;
}

describe('fleet API', () => {
  it('answers the state, and 404 in the cloud’s error shape for an unknown vehicle', async () => {
    const app = await appWith();
    const vehicle = await app.inject({ url: '/v1/fleet/vehicles/VH-1' });
    expect([vehicle.statusCode, vehicle.json()]).toMatchObject([200, { id: 'VH-1', status: 'driving', socPct: 77, lowBattery: false }]);
    expect((await app.inject({ url: '/v1/fleet/summary' })).json()).toMatchObject({ vehicles: { total: 1, driving: 1 } });
    expect((await app.inject({ url: '/v1/fleet/vehicles' })).json().vehicles).toHaveLength(1);
    expect((await app.inject({ url: '/v1/fleet/chargers' })).json()).toEqual({ chargers: [] });

    const unknown = await app.inject({ url: '/v1/fleet/vehicles/VH-404' });
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: { code: 'FW_NOT_FOUND', reason: 'not_found', detail: 'no vehicle VH-404', retryable: false } }]);
  });

  it('bounds the events limit by fleet.maxRecentEvents', async () => {
    const app = await appWith();
    expect((await app.inject({ url: '/v1/fleet/events' })).json()).toEqual({ events: [] });
    for (const limit of ['0', '21', 'many']) {
      const refused = await app.inject({ url: `/v1/fleet/events?limit=${limit}` });
      expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'FW_REQUEST_INVALID']);
    }
  });

  it('with fleet.readToken, wants it as a bearer token on every API route', async () => {
    const app = await appWith(READ_TOKEN);
    const missing = await app.inject({ url: '/v1/fleet/summary' });
    const wrong = await app.inject({ url: '/v1/fleet/vehicles', headers: { authorization: 'Bearer read-token-wrong-000000' } });
    const right = await app.inject({ url: '/v1/fleet/vehicles/VH-1', headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect([missing.statusCode, missing.json().error.code]).toEqual([401, 'FW_AUTH_MISSING']);
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([401, 'FW_AUTH_INVALID']);
    expect(right.statusCode).toBe(200);
  });

  it('is in the OpenAPI document', async () => {
    const app = await appWith();
    const paths = Object.keys((await app.inject({ url: '/openapi.json' })).json().paths as object);
    expect(paths).toEqual(expect.arrayContaining(['/v1/fleet/summary', '/v1/fleet/vehicles', '/v1/fleet/vehicles/{id}', '/v1/fleet/chargers', '/v1/fleet/events', '/v1/fleet/maintenance']));
  });
});
