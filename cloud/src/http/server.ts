/**
 * The cloud's HTTP server: fastify with the process logger, optional TLS (and client
 * certificates for mTLS), the coded error replies and the OpenAPI document that @fastify/swagger
 * builds from every route's schema (`GET /openapi.json`). Feature routes are plugins registered
 * on the instance this returns.
 */
import swagger from '@fastify/swagger';
import fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CloudError } from '../errors.js';
import { installErrorReplies, type RetryAfterSeconds } from './error-reply.js';

export interface HttpTls {
  cert: Buffer;
  key: Buffer;
  /** CA that signs node certificates; required with `requestClientCert`. */
  ca?: Buffer;
  requestClientCert: boolean;
}

export interface HttpServerOptions {
  logger: Logger;
  /** Largest request body read at all; bigger ones answer 413 before being read. */
  bodyLimit: number;
  retryAfterSeconds: RetryAfterSeconds;
  tls?: HttpTls;
}

export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { tls } = options;
  // Without a CA of our own Node verifies client certificates against its public root CAs, and
  // a verified certificate's CN is a node identity: refuse rather than trust every public CA.
  if (tls?.requestClientCert === true && (tls.ca === undefined || tls.ca.length === 0)) {
    throw new CloudError('FW_CONFIG_INVALID', 'http tls: requestClientCert needs the CA that signs node certificates (http.tls.caFile)');
  }
  const app = fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    ...(tls === undefined
      ? {}
      : {
          https: {
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
            requestCert: tls.requestClientCert,
            // A node without a certificate may still use a bearer token; `socket.authorized`
            // tells the auth hook whether a presented certificate was verified.
            rejectUnauthorized: false,
          },
        }),
  }) as unknown as FastifyInstance;
  installErrorReplies(app, options.retryAfterSeconds);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'fleetwire cloud',
        version: '1',
        description: 'Edge → cloud batch ingest, business events from booking and payment systems, the read-only fleet API, health and metrics. See docs/cloud.md and docs/uplink.md.',
      },
      components: {
        securitySchemes: {
          nodeToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'Edge node token `fw1.{nodeId}.{secret}`. With TLS client certificates enabled, a node may ' +
              'instead present a certificate signed by the configured CA whose CN is its node id (mTLS).',
          },
          businessClientToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'Business client token `fwb1.{clientId}.{secret}` (booking, payment, user services), issued by `fleetwire cloud issue-client-token`.',
          },
          fleetReadToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'The fleet read token (`fleet.readToken`); only required when it is configured.',
          },
        },
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
