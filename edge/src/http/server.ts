/**
 * The photo API's HTTP app (fastify): the return routes (vision/upload) are registered onto it
 * before it listens. Loaded only with vision; the operator's probes and metrics are served by
 * operator-server.ts on plain node:http, so an agent without vision never loads fastify.
 * `GET /openapi.json` is the OpenAPI document @fastify/swagger builds from every route's schema
 * (as the cloud does), so it cannot drift from what the routes validate and answer.
 */
import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './operator-server.js';

export interface HttpAppOptions {
  logger: Logger;
  /** HTTPS: PEM key and certificate. */
  https?: { key: Buffer; cert: Buffer };
  /** Upper bound for request bodies, bytes. Default 1 MiB (photo routes set their own). */
  bodyLimit?: number;
  /**
   * A socket idle (nothing received or sent) this long is destroyed; ms. Default 60 s. Also
   * bounds a client that stalls in the middle of an upload.
   */
  connectionTimeoutMs?: number;
  /**
   * A whole request (headers and body) must have arrived within this; ms. Default 5 min: eight
   * 8 MiB photos over a slow mobile uplink. Node checks it every 30 s.
   */
  requestTimeoutMs?: number;
  /** Security schemes that later route groups name in their `security`, for the OpenAPI document. */
  securitySchemes?: SecuritySchemes;
}

type SecuritySchemes = NonNullable<NonNullable<FastifyDynamicSwaggerOptions['openapi']>['components']>['securitySchemes'];

export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = fastify({
    ...(options.https === undefined ? {} : { https: options.https }),
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    // Without these a client that stops sending mid-body holds its socket (and close()) forever.
    connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  });
  // Before any route: @fastify/swagger learns the routes as they are added.
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'fleetwire edge',
        version: '1',
        description: 'The edge agent\'s HTTP API: the return-photo upload API for mobile apps. See docs/edge.md.',
      },
      components: { securitySchemes: options.securitySchemes ?? {} },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
