/**
 * The read-only analytics API, as a fastify plugin: `GET /v1/analytics/daily?from=&to=` answers
 * the daily usage reports computed (or read back from the bus) so far, as the protocol's
 * DailyUsageReport data. It is guarded like the fleet API, by the same optional read token.
 */
import { DailyUsageReportV1 } from '@fleetwire/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { CloudError } from '../../errors.js';
import { ErrorBodySchema } from '../../ingest/schemas.js';
import { createReadGuard } from '../fleet/read-token.js';
import type { DailyReportReader } from './daily-report-store.js';

export interface AnalyticsRoutesOptions {
  reports: DailyReportReader;
  /** When set, every request needs `authorization: Bearer {readToken}` (the fleet API's `fleet.readToken`). */
  readToken?: string;
}

export const ANALYTICS_API_PREFIX = '/v1/analytics';

const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'UTC day, YYYY-MM-DD' });
const error = (description: string) => ({ ...ErrorBodySchema, description });

const dailyRoute = {
  summary: 'Daily usage reports of the closed UTC days from `from` to `to` (both included): fleet-wide, then per site',
  tags: ['analytics'], security: [{ fleetReadToken: [] as string[] }],
  querystring: Type.Object({ from: Type.Optional(IsoDate), to: Type.Optional(IsoDate) }),
  response: {
    200: Type.Object({ reports: Type.Array(DailyUsageReportV1) }),
    400: error('a date is not YYYY-MM-DD, or from is after to'),
    401: error('fleet.readToken is set and the request has no or a wrong bearer token'),
  },
};

export const analyticsRoutes: FastifyPluginAsync<AnalyticsRoutesOptions> = async (app, options) => {
  const guard = createReadGuard(options.readToken);
  app.addHook('onRequest', async (request) => guard(request.headers.authorization));

  app.get<{ Querystring: { from?: string; to?: string } }>(`${ANALYTICS_API_PREFIX}/daily`, { schema: dailyRoute }, async (request) => {
    // ISO dates compare correctly as text; the open ends need no sentinel dates beyond these.
    const { from = '0000-00-00', to = '9999-99-99' } = request.query;
    if (from > to) throw new CloudError('FW_REQUEST_INVALID', `from ${from} is after to ${to}`);
    return { reports: options.reports.between(from, to) };
  });
};
