import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadinessReport } from './health.js';
import { createOperatorServer, operatorAnswer, type OperatorServer } from './operator-server.js';

function state(report: ReadinessReport) {
  const registry = new Registry();
  new Counter({ name: 'fleetwire_intake_messages_total', help: 'test', labelNames: ['kind'], registers: [registry] }).inc({ kind: 'event' }, 3);
  return { registry, readiness: () => report };
}

describe('operator answers', () => {
  it('answers /healthz while the process runs', async () => {
    const answer = await operatorAnswer('GET', '/healthz', state({ ready: false, checks: {} }));
    expect([answer.status, JSON.parse(answer.body)]).toEqual([200, { status: 'ok' }]);
  });

  it('answers /readyz 200 when ready and 503 with the failing check otherwise', async () => {
    const report = { ready: true, checks: { buffer: { state: 'ok' as const }, uplink: { state: 'disabled' as const, detail: 'no cloud.url configured' } } };
    const ready = await operatorAnswer('GET', '/readyz', state(report));
    expect([ready.status, JSON.parse(ready.body)]).toEqual([200, report]);
    const failing = await operatorAnswer('GET', '/readyz?verbose=1', state({ ready: false, checks: { buffer: { state: 'ok' }, broker: { state: 'failing' } } }));
    expect(failing.status).toBe(503);
    expect(JSON.parse(failing.body).checks.broker.state).toBe('failing');
  });

  it('serves the registry in the Prometheus text format', async () => {
    const answer = await operatorAnswer('GET', '/metrics', state({ ready: true, checks: {} }));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toContain('text/plain');
    expect(answer.body).toContain('fleetwire_intake_messages_total{kind="event"} 3');
  });

  it('answers 404 to any other path or method (the photo API is another listener)', async () => {
    const answers = await Promise.all([
      operatorAnswer('GET', '/v1/returns/RT-1/verdict', state({ ready: true, checks: {} })),
      operatorAnswer('POST', '/metrics', state({ ready: true, checks: {} })),
      operatorAnswer('GET', '/openapi.json', state({ ready: true, checks: {} })),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404]);
    expect(JSON.parse(answers[1]?.body ?? '')).toMatchObject({ statusCode: 404, message: 'Route POST:/metrics not found' });
  });
});

describe('operator server', () => {
  let server: OperatorServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves the answers over HTTP on loopback, HEAD without a body', async () => {
    server = createOperatorServer({ ...state({ ready: false, checks: { broker: { state: 'failing' } } }), logger: pino({ level: 'silent' }) });
    const base = await server.listen({ host: '127.0.0.1', port: 0 });
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await fetch(`${base}/metrics`);
    expect([metrics.status, metrics.headers.get('content-type')?.startsWith('text/plain')]).toEqual([200, true]);
    expect(await metrics.text()).toContain('fleetwire_intake_messages_total{kind="event"} 3');
    const readyz = await fetch(`${base}/readyz`);
    expect([readyz.status, await readyz.json()]).toEqual([503, { ready: false, checks: { broker: { state: 'failing' } } }]);
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
  });

  it('bounds idle sockets and whole requests, so a stalled client cannot hold a connection forever', () => {
    const logger = pino({ level: 'silent' });
    const defaults = createOperatorServer({ ...state({ ready: true, checks: {} }), logger });
    expect([defaults.server.timeout, defaults.server.requestTimeout]).toEqual([60_000, 300_000]);
    const tuned = createOperatorServer({ ...state({ ready: true, checks: {} }), logger, connectionTimeoutMs: 5000, requestTimeoutMs: 20_000 });
    expect([tuned.server.timeout, tuned.server.requestTimeout]).toEqual([5000, 20_000]);
  });
});
