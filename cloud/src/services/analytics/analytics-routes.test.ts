import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../http/server.js';
import { analyticsRoutes } from './analytics-routes.js';
import { addReport, reportsBetween } from './daily-report-store.js';
import type { DailyUsage } from './day-usage.js';

const READ_TOKEN = 'read-token-0123456789';
const report = (date: string, siteId?: string): DailyUsage => ({
  date, ...(siteId === undefined ? {} : { siteId }), bookings: 1, trips: 0, activeVehicles: 0, distanceKm: 0, energyUsedKwh: 0,
  chargingEnergyKwh: 0, avgTripDurationS: 0, utilisationPct: 0, revenueMinor: 0, currency: 'EUR',
});

async function appWith(readToken?: string) {
  const stored = new Map<string, DailyUsage>();
  addReport(stored, 'a:1:0', report('2026-01-02', 'site-a'), 3);
  addReport(stored, 'a:2:0', report('2026-01-02'), 3);
  addReport(stored, 'a:3:0', report('2026-01-01'), 3);
  addReport(stored, 'a:4:0', report('2026-01-03'), 3);
  const store = { between: (from: string, to: string) => reportsBetween([stored], from, to) };
  const app = await createHttpServer({
    logger: pino({ level: 'silent' }), bodyLimit: 1024, retryAfterSeconds: { busUnavailable: 5, overloaded: 1, inProgress: 1 },
  });
  await app.register(analyticsRoutes, { reports: store, readToken });
  return app;
}

describe('analytics API', () => {
  it('answers the kept reports of the days asked for, fleet-wide first; the oldest day went when the store was full', async () => {
    const app = await appWith();
    expect((await app.inject({ url: '/v1/analytics/daily' })).json().reports.map((r: DailyUsage) => [r.date, r.siteId])).toEqual([
      ['2026-01-02', undefined], ['2026-01-02', 'site-a'], ['2026-01-03', undefined],
    ]);
    expect((await app.inject({ url: '/v1/analytics/daily?from=2026-01-03&to=2026-01-03' })).json().reports).toEqual([report('2026-01-03')]);
  });

  it('refuses bad dates and a reversed range in the cloud’s error shape', async () => {
    const app = await appWith();
    for (const query of ['from=yesterday', 'to=2026-1-1', 'from=2026-01-03&to=2026-01-01']) {
      const refused = await app.inject({ url: `/v1/analytics/daily?${query}` });
      expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'FW_REQUEST_INVALID']);
    }
  });

  it('wants the fleet read token when one is set', async () => {
    const app = await appWith(READ_TOKEN);
    expect((await app.inject({ url: '/v1/analytics/daily' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/analytics/daily', headers: { authorization: `Bearer ${READ_TOKEN}` } })).statusCode).toBe(200);
  });

  it('is in the OpenAPI document', async () => {
    const app = await appWith();
    expect(Object.keys((await app.inject({ url: '/openapi.json' })).json().paths as object)).toContain('/v1/analytics/daily');
  });
});
