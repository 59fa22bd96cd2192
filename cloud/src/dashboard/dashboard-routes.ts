/**
 * The fleet dashboard, as a fastify plugin:
 *
 * - `GET /dashboard` (the live view) and `GET /dashboard/vehicles/:id` (a vehicle's page): one
 *   self-contained HTML page (static/dashboard.html: inline CSS and vanilla JS) that picks its
 *   view from the path; `GET /dashboard/assets/uplot.{js,css}`: the charting library (uPlot,
 *   an npm dependency served from this process, never from a CDN).
 * - `GET /v1/dashboard/vehicles/:id/history?from=&to=`: chart points from the time-series DB
 *   when one is configured, else from the in-memory window; `/v1/dashboard/spikes`: demand
 *   spikes per site; `/v1/dashboard/map`: site areas and return zones; `/v1/dashboard/stream`:
 *   server-sent events telling the page what changed, so it never polls.
 *
 * The page and the library hold no fleet data and are served without the read token; the page
 * asks for the token when the API answers 401 and sends it as a bearer header (kept in the tab's
 * sessionStorage only) — also on the stream, which it reads with fetch (EventSource cannot send
 * headers). The Content-Security-Policy allows only the page's own inline script (by hash), the
 * library from this origin and requests to this origin: if a value from a device ever slipped
 * past the page's escaping, injected markup still could not run script or load anything.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { CloudError } from '../errors.js';
import { ErrorBodySchema } from '../ingest/schemas.js';
import { createReadGuard } from '../services/fleet/read-token.js';
import type { DashboardFeed } from './dashboard-feed.js';
import { HISTORY_QUANTITIES, type HistoryPoint } from './history-point.js';
import type { LiveUpdate } from './live-feed.js';
import { SiteMapSchema, type SiteMap } from './site-map.js';
import type { HistoryQuery } from './tsdb-history.js';

export const DASHBOARD_PATH = '/dashboard';
export const DASHBOARD_API_PREFIX = '/v1/dashboard';

const PAGE = readFileSync(new URL('./static/dashboard.html', import.meta.url), 'utf8');
const require = createRequire(import.meta.url);
const ASSETS: Record<string, { body: string; type: string }> = {
  'uplot.js': { body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { body: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'), type: 'text/css; charset=utf-8' },
};

function contentSecurityPolicy(page: string): string {
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1];
  if (script === undefined) throw new CloudError('FW_INTERNAL', 'dashboard page has no inline script');
  const hash = createHash('sha256').update(script).digest('base64');
  return [
    "default-src 'none'", `script-src 'self' 'sha256-${hash}'`, "style-src 'self' 'unsafe-inline'", "connect-src 'self'",
    "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join('; ');
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': contentSecurityPolicy(PAGE),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** A comment line on an idle stream, so proxies and the browser keep it open. */
const HEARTBEAT_MS = 15_000;
const DAY_MS = 86_400_000;

export interface DashboardRoutesOptions {
  feed: DashboardFeed;
  /** History from the time-series DB; absent: from the feed's in-memory window. */
  tsdbHistory?: HistoryQuery;
  maxHistoryPoints: number;
  map: SiteMap;
  /** The fleet API's read token, guarding every /v1/dashboard route. */
  readToken?: string;
  now?: () => number;
}

const VehicleId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const error = (description: string) => ({ ...ErrorBodySchema, description });
const readSecurity = [{ fleetReadToken: [] as string[] }];
const unauthorized = error('fleet.readToken is set and the request has no or a wrong bearer token');
const HistoryPointSchema = Type.Object({
  at: Type.Number({ description: 'device time, ms since the Unix epoch' }),
  ...Object.fromEntries(HISTORY_QUANTITIES.map((q) => [q, Type.Optional(Type.Number())])),
});

const historyRoute = {
  summary: "A vehicle's chart points (SoC, speed, battery temperature, tyre pressures), oldest first", tags: ['dashboard'], security: readSecurity,
  params: Type.Object({ id: VehicleId }),
  querystring: Type.Object({
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the Unix epoch; default 24 h before `to`' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the Unix epoch; default now' })),
  }),
  response: {
    200: Type.Object({ source: Type.Union([Type.Literal('tsdb'), Type.Literal('memory')]), points: Type.Array(HistoryPointSchema) }),
    400: error('from is after to'), 401: unauthorized, 503: error('the time-series DB did not answer'),
  },
};

const spikesRoute = {
  summary: 'The newest demand spikes of each site, newest first', tags: ['dashboard'], security: readSecurity,
  response: {
    200: Type.Object({
      spikes: Type.Array(Type.Object({
        id: Type.String(), siteId: Type.Union([Type.String(), Type.Null()]), zone: Type.Union([Type.String(), Type.Null()]),
        windowStart: Type.String(), windowEnd: Type.String(), bookings: Type.Number(), baseline: Type.Number(), ratio: Type.Number(),
      })),
    }),
    401: unauthorized,
  },
};

const mapRoute = { summary: 'Site areas and return zones (dashboard.mapFile)', tags: ['dashboard'], security: readSecurity, response: { 200: SiteMapSchema, 401: unauthorized } };

/** Only the shown vehicle's points travel; the page learns of other vehicles' readings by the flag. */
function streamedUpdate(update: LiveUpdate, vehicleId: string | undefined): Record<string, unknown> {
  const points: HistoryPoint[] = vehicleId === undefined ? [] : (update.readings[vehicleId] ?? []);
  return { vehicles: Object.keys(update.readings).length > 0, chargers: update.chargers, commands: update.commands, events: update.events, points };
}

export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app, options) => {
  const now = options.now ?? Date.now;
  const guard = createReadGuard(options.readToken);
  const streams = new Set<() => void>();

  const page = async (_request: unknown, reply: FastifyReply) => reply.headers(PAGE_HEADERS).send(PAGE);
  app.get(DASHBOARD_PATH, { schema: { summary: 'The fleet dashboard (HTML; live over /v1/dashboard/stream)', tags: ['dashboard'] } }, page);
  app.get(`${DASHBOARD_PATH}/vehicles/:id`, { schema: { summary: "A vehicle's page (HTML)", tags: ['dashboard'], params: Type.Object({ id: VehicleId }) } }, page);
  app.get<{ Params: { name: string } }>(`${DASHBOARD_PATH}/assets/:name`, { schema: { hide: true } }, async (request, reply) => {
    const asset = ASSETS[request.params.name];
    if (asset === undefined) throw new CloudError('FW_NOT_FOUND', `no asset ${request.params.name}`);
    return reply.headers({ 'content-type': asset.type, 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=3600' }).send(asset.body);
  });

  await app.register(async (api) => {
    api.addHook('onRequest', async (request) => guard(request.headers.authorization));

    api.get<{ Params: { id: string }; Querystring: { from?: number; to?: number } }>(`${DASHBOARD_API_PREFIX}/vehicles/:id/history`, { schema: historyRoute }, async (request) => {
      const to = request.query.to ?? now();
      const from = request.query.from ?? to - DAY_MS;
      if (from > to) throw new CloudError('FW_REQUEST_INVALID', `from ${from} is after to ${to}`);
      if (options.tsdbHistory !== undefined) return { source: 'tsdb', points: await options.tsdbHistory(request.params.id, from, to, options.maxHistoryPoints) };
      return { source: 'memory', points: options.feed.history?.between(request.params.id, from, to) ?? [] };
    });
    api.get(`${DASHBOARD_API_PREFIX}/spikes`, { schema: spikesRoute }, async () => ({ spikes: options.feed.spikes.list() }));
    api.get(`${DASHBOARD_API_PREFIX}/map`, { schema: mapRoute }, async () => options.map);

    api.get<{ Querystring: { vehicleId?: string } }>(`${DASHBOARD_API_PREFIX}/stream`, {
      schema: {
        summary: 'Server-sent events: `update` after each batch the fleet state applied (what changed, and the new points of `vehicleId`)',
        tags: ['dashboard'], security: readSecurity, querystring: Type.Object({ vehicleId: Type.Optional(VehicleId) }),
      },
    }, async (request, reply) => {
      const { vehicleId } = request.query;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', connection: 'keep-alive' });
      raw.write('retry: 2000\n: connected\n\n');
      const unsubscribe = options.feed.live.subscribe((update) => {
        raw.write(`event: update\ndata: ${JSON.stringify(streamedUpdate(update, vehicleId))}\n\n`);
      });
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const close = () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(close);
        raw.end();
      };
      streams.add(close);
      raw.on('close', close);
    });
  });

  // Open streams never end by themselves: end them first, or closing the server would wait for ever.
  app.addHook('preClose', async () => {
    for (const close of [...streams]) close();
  });
};
