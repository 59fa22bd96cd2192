/**
 * `/healthz`: the process is alive and its event loop answers. `/readyz`: the agent can take
 * data — the buffer is open and every configured intake (embedded broker, bridge) is up. The
 * uplink's state is reported but does not make the agent unready: running offline is normal.
 */
import type { FastifyPluginAsync } from 'fastify';

export type CheckState = 'ok' | 'failing' | 'disabled';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { state: CheckState; detail?: string }>;
}

export interface HealthRoutesOptions {
  readiness(): ReadinessReport;
}

const readinessSchema = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { state: { type: 'string' }, detail: { type: 'string' } },
        required: ['state'],
      },
    },
  },
  required: ['ready', 'checks'],
} as const;

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  app.get('/healthz', { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { response: { 200: readinessSchema, 503: readinessSchema } } }, async (_request, reply) => {
    const report = options.readiness();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
};
