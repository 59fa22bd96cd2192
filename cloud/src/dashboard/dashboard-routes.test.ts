import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../http/server.js';
import { createDashboardFeed } from './dashboard-feed.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { EMPTY_SITE_MAP, parseSiteMap } from './site-map.js';
import { reading, T0 } from '../../test/support/fleet-records.js';

const READ_TOKEN = 'read-token-0123456789';

async function appWith(readToken?: string) {
  const feed = createDashboardFeed({ historyPointsPerVehicle: 100, spikesPerSite: 5, keepHistory: true });
  feed.apply([reading('VH-1', 1, T0, { socPct: 77, speedKph: 10 }), reading('VH-1', 2, T0 + 60_000, { socPct: 76 }), reading('VH-2', 1, T0, { socPct: 5 })]);
  const app = await createHttpServer({
    logger: pino({ level: 'silent' }), bodyLimit: 1024, retryAfterSeconds: { busUnavailable: 5, overloaded: 1, inProgress: 1 },
  });
  const map = parseSiteMap({ areas: [{ id: 'site-01', kind: 'circle', center: { lat: 52.5, lon: 13.4 }, radiusM: 200, role: 'site' }] }, 'test map');
  await app.register(dashboardRoutes, { feed, map, maxHistoryPoints: 100, now: () => T0 + 120_000, ...(readToken === undefined ? {} : { readToken }) });
  return app;
}

describe('dashboard routes', () => {
  it('serves one page for the fleet and every vehicle, whose policy allows its own script, the local library and this origin only', async () => {
    const app = await appWith();
    for (const url of ['/dashboard', '/dashboard/vehicles/VH-1']) {
      const page = await app.inject({ url });
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'; .*connect-src 'self'/);
      expect(page.body.match(/<(?:script|link|img)[^>]+(?:src|href)="[^"]*"/g)).toEqual(['<link rel="icon" href="data:,"', '<link rel="stylesheet" href="/dashboard/assets/uplot.css"', '<script src="/dashboard/assets/uplot.js"']);
      expect(page.body).not.toContain('innerHTML');
    }
    expect((await app.inject({ url: '/dashboard/vehicles/VH-<b>' })).statusCode).toBe(400);
    const library = await app.inject({ url: '/dashboard/assets/uplot.js' });
    expect([library.statusCode, library.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(library.body).toContain('uPlot');
    expect((await app.inject({ url: '/dashboard/assets/other.js' })).statusCode).toBe(404);
  });

  it('answers a vehicle history from the in-memory window, bounded by from and to', async () => {
    const app = await appWith();
    const all = await app.inject({ url: '/v1/dashboard/vehicles/VH-1/history' });
    expect(all.json()).toMatchObject({ source: 'memory', points: [{ at: T0, socPct: 77, speedKph: 10, batteryTempC: 24.5, tyreFlKpa: 240 }, { at: T0 + 60_000, socPct: 76 }] });
    const late = await app.inject({ url: `/v1/dashboard/vehicles/VH-1/history?from=${T0 + 1}` });
    expect(late.json().points.map((p: { socPct: number }) => p.socPct)).toEqual([76]);
    const backwards = await app.inject({ url: `/v1/dashboard/vehicles/VH-1/history?from=${T0 + 1}&to=${T0}` });
    expect([backwards.statusCode, backwards.json().error.code]).toEqual([400, 'FW_REQUEST_INVALID']);
    expect((await app.inject({ url: '/v1/dashboard/vehicles/VH-9/history' })).json()).toEqual({ source: 'memory', points: [] });
  });

  it('with fleet.readToken, wants it on every dashboard API route but serves the page and the library', async () => {
    const app = await appWith(READ_TOKEN);
    for (const url of ['/v1/dashboard/vehicles/VH-1/history', '/v1/dashboard/spikes', '/v1/dashboard/map', '/v1/dashboard/stream']) {
      const missing = await app.inject({ url });
      expect([url, missing.statusCode, missing.json().error.code]).toEqual([url, 401, 'FW_AUTH_MISSING']);
    }
    const map = await app.inject({ url: '/v1/dashboard/map', headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect(map.json()).toEqual({ areas: [{ id: 'site-01', kind: 'circle', center: { lat: 52.5, lon: 13.4 }, radiusM: 200, role: 'site' }] });
    expect((await app.inject({ url: '/dashboard' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/dashboard/assets/uplot.css' })).statusCode).toBe(200);
  });

  it('reads the edge’s return-areas file as it is (role return) and lists every problem of a bad map', () => {
    const edgeFile = { areas: [{ id: 'bays', kind: 'polygon', points: [{ lat: 1, lon: 1 }, { lat: 1, lon: 2 }, { lat: 2, lon: 2 }] }] };
    expect(parseSiteMap(edgeFile, 'map').areas[0]).toMatchObject({ id: 'bays', role: 'return' });
    expect(parseSiteMap({ areas: [] }, 'map')).toEqual(EMPTY_SITE_MAP);
    expect(() => parseSiteMap({ areas: [{ id: 'a b', kind: 'circle', center: { lat: 99, lon: 0 }, radiusM: 0 }] }, 'map')).toThrow(/FW_CONFIG_INVALID|invalid/);
    expect(() => parseSiteMap({ areas: [edgeFile.areas[0], edgeFile.areas[0]] }, 'map')).toThrow('"bays" appears twice');
  });
});
