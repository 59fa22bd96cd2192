/**
 * The operator's listener: `/healthz`, `/readyz` and `/metrics` on plain node:http. Three fixed
 * GET routes need no framework, and this listener runs on every agent: fastify with its schema
 * compilers and @fastify/swagger costs ~5 MB of heap and ~8 MB of RSS at start, so it loads only
 * with the photo API (vision), which does need schemas and an OpenAPI document (server.ts;
 * docs/edge.md, "Memory").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ReadinessReport } from './health.js';

/** Socket idle bound and whole-request bound of both listeners (the photo API's in server.ts too); ms. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;

export interface OperatorServerOptions {
  registry: Registry;
  readiness(): ReadinessReport;
  logger: Logger;
  /** A socket idle this long is destroyed; ms. Default 60 s. */
  connectionTimeoutMs?: number;
  /** A whole request must have arrived within this; ms. Default 5 min. */
  requestTimeoutMs?: number;
}

export interface OperatorServer {
  readonly server: Server;
  /** Resolves with the bound address, `http://host:port`. */
  listen(at: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
}

export interface OperatorAnswer {
  status: number;
  contentType: string;
  body: string;
}

const json = (status: number, value: unknown): OperatorAnswer => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) });

/** What the operator's listener answers to one request: a decision over the method, the path and the agent's state. */
export async function operatorAnswer(method: string, url: string, state: Pick<OperatorServerOptions, 'registry' | 'readiness'>): Promise<OperatorAnswer> {
  const path = url.split('?', 1)[0];
  if (method === 'GET' || method === 'HEAD') {
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const report = state.readiness();
      return json(report.ready ? 200 : 503, report);
    }
    if (path === '/metrics') return { status: 200, contentType: state.registry.contentType, body: await state.registry.metrics() };
  }
  return json(404, { statusCode: 404, error: 'Not Found', message: `Route ${method}:${path} not found` });
}

export function createOperatorServer(options: OperatorServerOptions): OperatorServer {
  const { logger } = options;
  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    const method = request.method ?? 'GET';
    operatorAnswer(method, request.url ?? '/', options).then(
      ({ status, contentType, body }) => {
        response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
        response.end(method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        logger.error({ event: 'operator_request_failed', err: error, method, url: request.url }, 'operator_request_failed');
        response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ statusCode: 500, error: 'Internal Server Error', message: 'the answer could not be built' }));
      },
    );
    // The request has no body worth reading; draining it lets keep-alive reuse the socket.
    request.resume();
  };
  const server = createServer({ requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS }, answer);
  // Without it a client that stops sending holds its socket (and close()) forever.
  server.setTimeout(options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS, (socket) => socket.destroy());
  return {
    server,
    listen: ({ host, port }) =>
      new Promise((resolvePromise, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolvePromise(`http://${shown}:${address.port}`);
        });
      }),
    close: () =>
      new Promise((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}
