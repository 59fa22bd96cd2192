/**
 * `/healthz` says the process is up (for restarts); `/readyz` says it can do its job right now
 * (for load balancers): every named check — the bus, the time-series sink — must answer true
 * within `timeoutMs`.
 */
import type { FastifyPluginAsync } from 'fastify';

export type ReadinessCheck = () => Promise<boolean>;

export interface HealthOptions {
  checks: Record<string, ReadinessCheck>;
  /** A check that has not answered by then counts as not ready. Default 2 s. */
  timeoutMs?: number;
}

const ReadinessSchema = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: { type: 'object', additionalProperties: { type: 'boolean' } },
  },
  required: ['ready', 'checks'],
} as const;

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  const timeoutMs = options.timeoutMs ?? 2000;

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['health'],
        response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the bus (and the time-series sink, when configured) can take data now',
        tags: ['health'],
        response: { 200: ReadinessSchema, 503: ReadinessSchema },
      },
    },
    async (_request, reply) => {
      const names = Object.keys(options.checks);
      const results = await Promise.all(names.map((name) => withTimeout(options.checks[name], timeoutMs)));
      const checks = Object.fromEntries(names.map((name, i) => [name, results[i] === true]));
      const ready = results.every((ok) => ok);
      return reply.code(ready ? 200 : 503).send({ ready, checks });
    },
  );
};

async function withTimeout(check: ReadinessCheck | undefined, timeoutMs: number): Promise<boolean> {
  if (check === undefined) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
