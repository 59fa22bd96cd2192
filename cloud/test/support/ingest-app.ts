/**
 * An ingest server for unit tests: the real HTTP stack (error replies, OpenAPI) and the real
 * ingest plugin over a fake in-memory bus, reached through `inject()` without a port.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { metricsRoutes } from '../../src/http/metrics.js';
import type { RateLimits } from '../../src/http/rate-limits.js';
import { createHttpServer } from '../../src/http/server.js';
import { createNodeRegistry } from '../../src/ingest/auth/node-registry.js';
import { issueToken } from '../../src/ingest/auth/tokens.js';
import { ingestRoutes } from '../../src/ingest/ingest.js';
import { resolveIngestSettings, type IngestSettingsInput } from '../../src/ingest/settings.js';
import type { RawBatch } from './batches.js';
import { createFakeBus, type FakeBus } from './fake-bus.js';

export const NODE_ID = 'node-1';
/** node-1 serves every vehicle `VH-…` and the one charger `CH-0001`. */
export const NODE_DEVICES = ['VH-*', 'CH-0001'];

export interface IngestApp {
  app: FastifyInstance;
  bus: FakeBus;
  token: string;
  revokedToken: string;
  /** A valid token of another node (node-2, which serves `VH-*` too). */
  otherNodeToken: string;
  send(batch: RawBatch, headers?: Record<string, string | undefined>): Promise<LightMyRequestResponse>;
}

/** `limits`: rate limits built on the app's registry (counted in its /metrics). */
export async function createIngestApp(settingsInput: IngestSettingsInput = {}, limits?: (registry: Registry) => RateLimits): Promise<IngestApp> {
  const settings = resolveIngestSettings(settingsInput);
  const bus = createFakeBus();
  const current = issueToken(NODE_ID);
  const revoked = issueToken(NODE_ID);
  const other = issueToken('node-2');
  const nodes = createNodeRegistry([
    { id: NODE_ID, devices: NODE_DEVICES, tokens: [current.entry, { ...revoked.entry, revoked: true }] },
    { id: 'node-2', devices: ['VH-*'], tokens: [other.entry] },
  ]);
  const registry = new Registry();
  const app = await createHttpServer({
    logger: pino({ level: 'silent' }),
    bodyLimit: settings.maxBodyBytes,
    retryAfterSeconds: settings.retryAfterSeconds,
  });
  await app.register(ingestRoutes, { bus, nodes, metrics: registry, settings, ...(limits === undefined ? {} : { rateLimits: limits(registry) }) });
  await app.register(metricsRoutes, { registry });
  await app.ready();
  return {
    app,
    bus,
    token: current.token,
    revokedToken: revoked.token,
    otherNodeToken: other.token,
    send(batch, headers = {}) {
      const all: Record<string, string> = { ...batch.headers, authorization: `Bearer ${current.token}` };
      for (const [name, value] of Object.entries(headers)) {
        if (value === undefined) delete all[name];
        else all[name] = value;
      }
      return app.inject({ method: 'POST', url: '/v1/batches', headers: all, payload: batch.body });
    },
  };
}
