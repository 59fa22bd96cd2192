/** Stand-ins for the TSDB in the sink's unit tests: an HTTP server, and a writer without one. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudError } from '../../src/errors.js';
import type { InfluxWriter } from '../../src/sinks/tsdb/influx-writer.js';

export interface FakeTsdbServer {
  url: string;
  /** Write bodies in arrival order. */
  writes: string[];
  /** Request headers of every request (writes and health checks). */
  headers: IncomingHttpHeaders[];
  server: Server;
}

/** Answers writes with the scripted statuses in turn (then `answer(body)`, default 204) and keeps the bodies. */
export function fakeTsdbServer(
  statuses: number[],
  answer: (body: string) => { status: number; json?: unknown } = () => ({ status: 204 }),
): Promise<FakeTsdbServer> {
  const writes: string[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    headers.push(request.headers);
    if (request.url === '/health') return void response.writeHead(200).end('OK');
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      writes.push(body);
      const scripted = statuses.shift();
      const { status, json } = scripted === undefined ? answer(body) : { status: scripted, json: undefined };
      if (json === undefined) return void response.writeHead(status).end();
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, writes, headers, server });
  }));
}

/**
 * A writer that refuses (like HTTP 400) every write containing `poison`, and keeps the lines
 * of every write it took. `failNext` makes the next writes fail as retryable (TSDB down).
 */
export function poisonWriter(poison: string): InfluxWriter & { written: string[]; attempts: number; failNext: number } {
  const writer = {
    written: [] as string[],
    attempts: 0,
    failNext: 0,
    async write(body: string) {
      writer.attempts += 1;
      if (writer.failNext > 0) {
        writer.failNext -= 1;
        throw new CloudError('FW_TSDB_WRITE_FAILED', 'tsdb write failed (HTTP 503)', { canRetry: true });
      }
      if (body.includes(poison)) {
        throw new CloudError('FW_TSDB_WRITE_FAILED', `tsdb write failed (HTTP 400): unable to parse '${poison}'`, { canRetry: false });
      }
      writer.written.push(...body.split('\n'));
    },
    ping: async () => true,
  };
  return writer;
}
