import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { healthRoutes } from './health.js';
import { createHttpServer } from './server.js';

async function appWith(checks: Record<string, () => Promise<boolean>>) {
  const app = await createHttpServer({
    logger: pino({ level: 'silent' }),
    bodyLimit: 1024,
    retryAfterSeconds: { busUnavailable: 5, overloaded: 1, inProgress: 1 },
  });
  await app.register(healthRoutes, { checks, timeoutMs: 50 });
  return app;
}

describe('health routes', () => {
  it('is ready only when every check answers true in time', async () => {
    const ready = await appWith({ bus: async () => true, tsdb: async () => true });
    const notReady = await appWith({
      bus: async () => true,
      tsdb: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 500)),
      broken: async () => {
        throw new Error('boom');
      },
    });

    const good = await ready.inject({ method: 'GET', url: '/readyz' });
    const bad = await notReady.inject({ method: 'GET', url: '/readyz' });
    const live = await notReady.inject({ method: 'GET', url: '/healthz' });

    expect([good.statusCode, good.json()]).toEqual([200, { ready: true, checks: { bus: true, tsdb: true } }]);
    expect([bad.statusCode, bad.json()]).toEqual([503, { ready: false, checks: { bus: true, tsdb: false, broken: false } }]);
    expect(live.statusCode).toBe(200);
    await Promise.all([ready.close(), notReady.close()]);
  });

  it('answers unknown routes with the coded error body', async () => {
    const app = await appWith({});
    const response = await app.inject({ method: 'GET', url: '/nope' });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'FW_NOT_FOUND', reason: 'not_found', detail: 'no route GET /nope', retryable: false } });
    await app.close();
  });
});
