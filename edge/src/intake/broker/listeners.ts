/**
 * Network listeners that hand connections to the broker: plain TCP always, TLS (optionally
 * asking for client certificates) and MQTT over WebSocket by configuration. Each listener only
 * turns its transport into a Duplex stream; authentication happens in the broker's hooks.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { WebSocketServer } from 'ws';
import { EdgeError } from '../../errors.js';

export type ConnectionHandler = (connection: Duplex, request?: IncomingMessage) => void;

export interface ListenerConfig {
  host: string;
  port: number;
  maxPacketBytes: number;
  tls: { enabled: boolean; port: number; keyFile: string; certFile: string; caFile: string; requestCert: boolean };
  websocket: { enabled: boolean; port: number; path: string };
}

export interface Listener {
  readonly role: 'mqtt' | 'mqtts' | 'ws';
  listen(): Promise<string>;
  close(): Promise<void>;
}

export function createListeners(config: ListenerConfig, handle: ConnectionHandler, onTransportError: (role: string, error: Error) => void): Listener[] {
  const listeners: Listener[] = [serverListener('mqtt', createNetServer(handle), config.host, config.port, onTransportError)];
  if (config.tls.enabled) {
    const server = createTlsServer(
      {
        key: readFileSync(config.tls.keyFile),
        cert: readFileSync(config.tls.certFile),
        ...(config.tls.caFile ? { ca: readFileSync(config.tls.caFile) } : {}),
        requestCert: config.tls.requestCert,
        // Untrusted certificates are refused in the authenticate hook, where they are counted.
        rejectUnauthorized: false,
      },
      handle,
    );
    server.on('tlsClientError', (error) => onTransportError('mqtts', error));
    listeners.push(serverListener('mqtts', server, config.host, config.tls.port, onTransportError));
  }
  if (config.websocket.enabled) listeners.push(webSocketListener(config, handle, onTransportError));
  return listeners;
}

function serverListener(role: 'mqtt' | 'mqtts', server: Server, host: string, port: number, onTransportError: (role: string, error: Error) => void): Listener {
  return {
    role,
    listen: () =>
      listenOn(server, host, port).then((address) => {
        // After start, a server error (e.g. out of file descriptors) is logged, not fatal.
        server.on('error', (error) => onTransportError(role, error));
        return `${role}://${formatHost(address)}`;
      }),
    close: () => closeServer(server),
  };
}

function webSocketListener(config: ListenerConfig, handle: ConnectionHandler, onTransportError: (role: string, error: Error) => void): Listener {
  const { host } = config;
  const { port, path } = config.websocket;
  let wss: WebSocketServer | undefined;
  return {
    role: 'ws',
    listen: async () => {
      // ws is imported only when this listener is configured: most agents speak plain MQTT (docs/edge.md, "Memory").
      const { createWebSocketStream, WebSocketServer } = await import('ws');
      return new Promise((resolvePromise, reject) => {
        const server = new WebSocketServer({ host, port, path, maxPayload: config.maxPacketBytes + 1024 });
        wss = server;
        server.once('error', (cause) => reject(listenFailed('ws', host, port, cause)));
        server.once('listening', () => {
          server.on('error', (error) => onTransportError('ws', error));
          resolvePromise(`ws://${formatHost(server.address() as AddressInfo)}${path}`);
        });
        server.on('connection', (socket, request) => {
          const stream = createWebSocketStream(socket);
          stream.on('error', (error) => onTransportError('ws', error));
          handle(stream, request);
        });
      });
    },
    close: () =>
      new Promise((resolvePromise) => {
        if (!wss) return resolvePromise();
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolvePromise());
      }),
  };
}

function listenOn(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', (cause) => reject(listenFailed('mqtt', host, port, cause)));
    server.listen(port, host, () => resolvePromise(server.address() as AddressInfo));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    if (!server.listening) return resolvePromise();
    server.close(() => resolvePromise());
  });
}

function listenFailed(role: string, host: string, port: number, cause: unknown): EdgeError {
  return new EdgeError('FW_INTAKE_LISTEN_FAILED', `cannot listen for ${role} on ${host}:${port}: ${(cause as Error).message}`, { cause });
}

function formatHost(address: AddressInfo): string {
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
