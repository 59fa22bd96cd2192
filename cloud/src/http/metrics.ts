/** `GET /metrics`: the process's prom-client registry in the Prometheus text format. */
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

export interface MetricsRouteOptions {
  registry: Registry;
}

export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, { registry }) => {
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['health'] } },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};
