/**
 * The read-only fleet API, as a fastify plugin: `/v1/fleet/summary`, `/vehicles`,
 * `/vehicles/:id`, `/chargers`, `/maintenance`, `/events?limit=`. Answers are computed from the in-memory state
 * at request time; errors take the cloud’s shape (`{ error: { code, reason, detail, retryable } }`).
 */
import type { FastifyPluginAsync } from 'fastify';
import { CloudError } from '../../errors.js';
import type { FleetReader } from './fleet-views.js';
import { createReadGuard } from './read-token.js';
import { chargersRoute, eventsRoute, maintenanceRoute, summaryRoute, vehicleRoute, vehiclesRoute } from './schemas.js';

export interface FleetRoutesOptions {
  reader: FleetReader;
  /** When set, every request needs `authorization: Bearer {readToken}`. */
  readToken?: string;
  /** The clock offline is judged by. Default Date.now. */
  now?: () => number;
}

export const FLEET_API_PREFIX = '/v1/fleet';

export const fleetRoutes: FastifyPluginAsync<FleetRoutesOptions> = async (app, options) => {
  const { reader } = options;
  const now = options.now ?? Date.now;
  const guard = createReadGuard(options.readToken);
  app.addHook('onRequest', async (request) => guard(request.headers.authorization));

  app.get(`${FLEET_API_PREFIX}/summary`, { schema: summaryRoute }, async () => reader.summary(now()));
  app.get(`${FLEET_API_PREFIX}/vehicles`, { schema: vehiclesRoute }, async () => ({ vehicles: reader.vehicles(now()) }));
  app.get<{ Params: { id: string } }>(`${FLEET_API_PREFIX}/vehicles/:id`, { schema: vehicleRoute }, async (request) => {
    const vehicle = reader.vehicle(request.params.id, now());
    if (vehicle === undefined) throw new CloudError('FW_NOT_FOUND', `no vehicle ${request.params.id}`);
    return vehicle;
  });
  app.get(`${FLEET_API_PREFIX}/chargers`, { schema: chargersRoute }, async () => ({ chargers: reader.chargers(now()) }));
  app.get(`${FLEET_API_PREFIX}/maintenance`, { schema: maintenanceRoute }, async () => ({ maintenance: reader.maintenance(now()) }));
  app.get<{ Querystring: { limit: number } }>(`${FLEET_API_PREFIX}/events`, { schema: eventsRoute(reader.maxRecentEvents) }, async (request) => ({
    events: reader.recentEvents(request.query.limit),
  }));
};
