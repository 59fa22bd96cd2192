import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ReadinessReport } from './health.js';
import { createHttpApp, DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './server.js';

function app(report: ReadinessReport) {
  const registry = new Registry();
  new Counter({ name: 'fleetwire_intake_messages_total', help: 'test', labelNames: ['kind'], registers: [registry] }).inc({ kind: 'event' }, 3);
  return createHttpApp({ operator: { registry, readiness: () => report }, logger: pino({ level: 'silent' }) });
}

describe('edge http', () => {
  it('answers /healthz while the process runs', async () => {
    const response = await app({ ready: false, checks: {} }).inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when ready and 503 with the failing check otherwise', async () => {
    const ready = await app({ ready: true, checks: { buffer: { state: 'ok' }, uplink: { state: 'disabled', detail: 'no cloud.url configured' } } }).inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, checks: { buffer: { state: 'ok' }, uplink: { state: 'disabled', detail: 'no cloud.url configured' } } });
    const failing = await app({ ready: false, checks: { buffer: { state: 'ok' }, broker: { state: 'failing' } } }).inject({ method: 'GET', url: '/readyz' });
    expect(failing.statusCode).toBe(503);
    expect(failing.json().checks.broker.state).toBe('failing');
  });

  it('serves the registry in the Prometheus text format', async () => {
    const response = await app({ ready: true, checks: {} }).inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('fleetwire_intake_messages_total{kind="event"} 3');
  });

  it('bounds idle sockets and whole requests, so a stalled client cannot hold a connection forever', () => {
    const { server } = app({ ready: true, checks: {} });
    expect([server.timeout, server.requestTimeout]).toEqual([DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS]);
    expect([server.timeout, server.requestTimeout]).toEqual([60_000, 300_000]);
    const tuned = createHttpApp({ operator: { registry: new Registry(), readiness: () => ({ ready: true, checks: {} }) }, logger: pino({ level: 'silent' }), connectionTimeoutMs: 5000, requestTimeoutMs: 20_000 });
    expect([tuned.server.timeout, tuned.server.requestTimeout]).toEqual([5000, 20_000]);
  });
});
