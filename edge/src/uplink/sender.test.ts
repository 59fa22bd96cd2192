/**
 * The sender over real sockets on loopback: plain HTTP, HTTPS with a private CA, and a server
 * that demands a client certificate. Certificates come from @fleetwire/test-servers/certificates.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { encodeBatch } from '@fleetwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, issueCertificate, type CertificateFiles } from '@fleetwire/test-servers/certificates';
import { telemetryRecord } from '../../test/support/telemetry-records.js';
import { createSender, type SendResult, type SenderOptions } from './sender.js';

let dir: string;
let files: Record<'ca' | 'rogue' | 'server' | 'node' | 'forged', CertificateFiles>;
const servers: Server[] = [];
const batch = encodeBatch({ nodeId: 'node-1', createdAt: 0, records: [telemetryRecord(1)] });
const pem = (file: string) => readFileSync(file);

type Handler = (request: IncomingMessage, response: ServerResponse) => void;
const answerWho: Handler = (request, response) => {
  const socket = request.socket as Partial<TLSSocket>;
  const cn = socket.getPeerCertificate?.().subject?.CN;
  request.resume();
  request.on('end', () => response.end(JSON.stringify({ cn: cn ?? null, authorization: request.headers.authorization ?? null })));
};

async function listen(server: Server, scheme = 'http'): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `${scheme}://127.0.0.1:${port}`;
}

function httpsServer(handler: Handler, requireClientCert: boolean): Promise<string> {
  const server = createHttpsServer(
    { cert: pem(files.server.cert), key: pem(files.server.key), ca: pem(files.ca.cert), requestCert: requireClientCert, rejectUnauthorized: requireClientCert },
    handler,
  );
  return listen(server, 'https');
}

async function sendOnce(options: Partial<SenderOptions> & { url: string }, timeoutMs = 5_000, signal = new AbortController().signal): Promise<SendResult> {
  const sender = createSender({ token: '', maxSockets: 1, ...options });
  try {
    return await sender.send(batch, { timeoutMs, signal });
  } finally {
    sender.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-sender-'));
  const ca = createAuthority(dir, 'ca');
  const rogue = createAuthority(dir, 'rogue');
  files = {
    ca,
    rogue,
    server: issueCertificate(dir, 'server', { commonName: '127.0.0.1', authority: ca, altNames: ['IP:127.0.0.1'] }),
    node: issueCertificate(dir, 'node', { commonName: 'node-1', authority: ca }),
    forged: issueCertificate(dir, 'forged', { commonName: 'node-1', authority: rogue }),
  };
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('sender', () => {
  it('posts over plain HTTP with the bearer token, and without one when the token is empty', async () => {
    const url = await listen(createHttpServer(answerWho));
    expect(await sendOnce({ url, token: 'secret' })).toMatchObject({ kind: 'answer', status: 200, body: JSON.stringify({ cn: null, authorization: 'Bearer secret' }) });
    expect(await sendOnce({ url })).toMatchObject({ kind: 'answer', status: 200, body: JSON.stringify({ cn: null, authorization: null }) });
  });

  it('presents the client certificate to a cloud that demands one, trusting its private CA', async () => {
    const url = await httpsServer(answerWho, true);
    const tls = { ca: pem(files.ca.cert), cert: pem(files.node.cert), key: pem(files.node.key) };
    expect(await sendOnce({ url, tls })).toMatchObject({ kind: 'answer', status: 200, body: JSON.stringify({ cn: 'node-1', authorization: null }) });
  });

  it('reports an untrusted cloud certificate as a TLS network failure', async () => {
    const url = await httpsServer(answerWho, false);
    const result = await sendOnce({ url, token: 'secret' });
    expect(result).toMatchObject({ kind: 'network', tls: true, timedOut: false });
    expect(result.kind === 'network' && result.message).toContain("tls: the cloud's certificate is not trusted");
  });

  it('reports a refused client certificate as a TLS network failure', async () => {
    const url = await httpsServer(answerWho, true);
    const result = await sendOnce({ url, tls: { ca: pem(files.ca.cert), cert: pem(files.forged.cert), key: pem(files.forged.key) } });
    expect(result).toMatchObject({ kind: 'network', tls: true, timedOut: false });
    // TLS 1.3: the server's alert may arrive only as a reset, after the client's side of the handshake.
    expect(result.kind === 'network' && result.message).toMatch(/^tls: the cloud (refused the handshake|closed a new connection before answering)/);
  });

  it('re-sends once on a new connection when a kept-alive one turns out closed', async () => {
    const requestsBySocket = new WeakMap<object, number>();
    const url = await listen(
      createHttpServer((request, response) => {
        const count = (requestsBySocket.get(request.socket) ?? 0) + 1;
        requestsBySocket.set(request.socket, count);
        // The second request on a connection finds it gone, as after an idle close.
        if (count > 1) request.socket.destroy();
        else answerWho(request, response);
      }),
    );
    const sender = createSender({ url, token: '', maxSockets: 1 });
    const options = { timeoutMs: 5_000, signal: new AbortController().signal };
    expect(await sender.send(batch, options)).toMatchObject({ kind: 'answer', status: 200 });
    expect(await sender.send(batch, options)).toMatchObject({ kind: 'answer', status: 200 });
    sender.close();
  });

  it('turns a timeout and a stop into network results', async () => {
    const url = await listen(createHttpServer((request) => request.resume()));
    expect(await sendOnce({ url }, 100)).toMatchObject({ kind: 'network', timedOut: true, message: 'no answer within 100 ms' });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    expect(await sendOnce({ url }, 5_000, stop.signal)).toMatchObject({ kind: 'network', timedOut: false, message: 'the uplink is stopping' });
    const stopped = new AbortController();
    stopped.abort();
    expect(await sendOnce({ url }, 5_000, stopped.signal)).toMatchObject({ kind: 'network', timedOut: false });
  });
});
