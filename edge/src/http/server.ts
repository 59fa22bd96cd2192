/**
 * The agent's HTTP surface: one fastify app, one plugin per route group. Later route groups
 * (photo uploads in http/photos) register onto the returned app before it listens.
 */
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { healthRoutes, type ReadinessReport } from './health.js';
import { metricsRoutes } from './metrics.js';

export interface HttpAppOptions {
  registry: Registry;
  readiness(): ReadinessReport;
  logger: Logger;
  /** Upper bound for request bodies, bytes. Default 1 MiB (photo routes set their own). */
  bodyLimit?: number;
}

const PROBE_URLS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Probes and scrapes arrive every few seconds; logging each would drown the useful lines.
    logController: new LogController({ disableRequestLogging: (request) => PROBE_URLS.has(request.url) }),
    bodyLimit: options.bodyLimit ?? 1_048_576,
  });
  void app.register(healthRoutes, { readiness: options.readiness });
  void app.register(metricsRoutes, { registry: options.registry });
  return app;
}
