import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './operator-server.js';
import { createHttpApp } from './server.js';

describe('photo API app', () => {
  it('bounds idle sockets and whole requests, so a stalled upload cannot hold a connection forever', () => {
    const { server } = createHttpApp({ logger: pino({ level: 'silent' }) });
    expect([server.timeout, server.requestTimeout]).toEqual([DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS]);
    expect([server.timeout, server.requestTimeout]).toEqual([60_000, 300_000]);
    const tuned = createHttpApp({ logger: pino({ level: 'silent' }), connectionTimeoutMs: 5000, requestTimeoutMs: 20_000 });
    expect([tuned.server.timeout, tuned.server.requestTimeout]).toEqual([5000, 20_000]);
  });

  it('answers none of the operator\'s routes (they are another listener)', async () => {
    const app = createHttpApp({ logger: pino({ level: 'silent' }) });
    const statuses = await Promise.all(['/healthz', '/readyz', '/metrics'].map(async (url) => (await app.inject({ method: 'GET', url })).statusCode));
    expect(statuses).toEqual([404, 404, 404]);
  });
});
