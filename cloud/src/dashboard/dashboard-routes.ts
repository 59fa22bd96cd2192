/**
 * `GET /dashboard`: the fleet dashboard, one self-contained HTML page (static/dashboard.html:
 * inline CSS and vanilla JS, nothing fetched from elsewhere) that polls the fleet API every 2 s.
 *
 * The page itself holds no fleet data, so it is served without the read token; the page asks
 * for the token when the API answers 401 and sends it as a bearer header (kept in the tab's
 * sessionStorage only). Its Content-Security-Policy allows only its own inline script (by hash)
 * and requests to this origin: if a value from a device ever slipped past the page's escaping,
 * injected markup still could not run script or load anything.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { CloudError } from '../errors.js';

export const DASHBOARD_PATH = '/dashboard';

const PAGE = readFileSync(new URL('./static/dashboard.html', import.meta.url), 'utf8');

function contentSecurityPolicy(page: string): string {
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1];
  if (script === undefined) throw new CloudError('FW_INTERNAL', 'dashboard page has no inline script');
  const hash = createHash('sha256').update(script).digest('base64');
  return [
    "default-src 'none'", `script-src 'sha256-${hash}'`, "style-src 'unsafe-inline'", "connect-src 'self'",
    "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join('; ');
}

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': contentSecurityPolicy(PAGE),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  app.get(DASHBOARD_PATH, { schema: { summary: 'The fleet dashboard (HTML; polls /v1/fleet/*)', tags: ['fleet'] } }, async (_request, reply) =>
    reply.headers(HEADERS).send(PAGE),
  );
};
