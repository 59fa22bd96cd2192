/**
 * aedes hooks: the embedded broker's whole policy.
 *
 * - `authenticate` establishes the device identity (password or client certificate) and keeps
 *   it in `identities`, keyed by the aedes client.
 * - `authorizePublish` is where durability happens. A device's QoS 1 publish to its own topic
 *   is acknowledged by the ack book (acks.ts) once the pipeline committed it to SQLite (aedes
 *   sees it as QoS 0); anything else keeps aedes's order (lib/handlers/publish.js:
 *   authorizePublish, then enqueuePublish writes the PUBACK), so the callback is called only
 *   after the commit. Quarantined content is acknowledged (a device must not resend a bad
 *   payload forever); a refused topic or a failed commit gets no ack and the connection is
 *   closed (MQTT-3.3.5-2 — a misbehaving device, not bad data; a full buffer: re-send later).
 * - `authorizeSubscribe` asks protocol's authorizeSubscribe; a refusal negates the one
 *   subscription (SUBACK 0x80) instead of dropping the connection.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { authorizePublish as decidePublish, authorizeSubscribe as decideSubscribe, type DeviceIdentity } from '@fleetwire/protocol';
import type { AedesOptions, Client } from 'aedes';
import type { Logger } from 'pino';
import { EdgeError } from '../../errors.js';
import { createRepeatedLog } from '../../logging/repeated-log.js';
import type { ConnectAttempt } from '../auth/authenticate.js';
import type { DeviceRegistry } from '../auth/device-registry.js';
import type { LoginGuard } from '../auth/login-guard.js';
import type { IntakePipeline } from '../intake.js';
import type { IntakeMetrics } from '../metrics.js';
import { createAckBook } from './acks.js';

/**
 * QoS 1 publishes of one connection accepted but not yet committed, beyond which the connection
 * is not read until commits catch up. Far above what a device at 1 Hz or a bridge's window has
 * in flight; with a socket read's worth of packets on top, it bounds a connection's share of
 * the heap under overload.
 */
export const MAX_AWAITING_COMMIT = 256;

interface AwaitingCommit {
  count: number;
  /** aedes callbacks held back, in arrival order: each is released when an earlier commit settles. */
  held: Array<() => void>;
}

export interface HookOptions {
  registry: DeviceRegistry;
  logins: LoginGuard;
  pipeline: IntakePipeline;
  metrics: IntakeMetrics;
  logger: Logger;
}

export type BrokerHooks = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>> & {
  identities: WeakMap<Client, DeviceIdentity>;
};

export function createBrokerHooks(options: HookOptions): BrokerHooks {
  const { registry, logins, pipeline, metrics, logger } = options;
  const identities = new WeakMap<Client, DeviceIdentity>();
  // aedes replaces an empty client id with a random one; such a session cannot collide with a device's.
  const generatedIds = new WeakSet<Client>();
  // A full buffer or the disk floor refuses every publish, a device with a wrong password
  // reconnects forever: each is logged when it begins, then counted in a summary.
  const commitFailures = createRepeatedLog(logger, { event: 'intake_commit_failed', level: 'error' });
  const acks = createAckBook();
  const awaitingByClient = new WeakMap<Client, AwaitingCommit>();
  const deviceRefusals = createRepeatedLog(logger, { event: 'device_refused', level: 'info' });

  const preConnect: BrokerHooks['preConnect'] = (client, packet, callback) => {
    if (!packet.clientId) generatedIds.add(client);
    callback(null, true);
  };

  const authenticate: BrokerHooks['authenticate'] = (client, username, password, done) => {
    const attempt = (): ConnectAttempt => ({
      clientId: client.id,
      clientIdGenerated: generatedIds.has(client),
      username,
      password,
      certificate: peerCertificate(client),
    });
    // Through a promise, so that even a synchronous throw ends as a refusal, not a crash.
    Promise.resolve().then(() => logins.authenticate(registry, attempt(), sourceAddress(client))).then(
      (decision) => {
        if (decision.ok) {
          identities.set(client, decision.identity);
          logger.debug({ event: 'device_authenticated', deviceId: decision.identity.deviceId, method: decision.method }, 'device_authenticated');
          return done(null, true);
        }
        metrics.authRefused.inc({ reason: decision.reason });
        deviceRefusals.note(`${username ?? client.id}:${decision.reason}`, { clientId: client.id, username, reason: decision.reason });
        const error = Object.assign(new EdgeError('FW_INTAKE_AUTH_REFUSED', `connection refused: ${decision.reason}`), { returnCode: decision.returnCode });
        return done(error as never, false);
      },
      (cause: unknown) => {
        logger.error({ event: 'authenticate_failed', err: cause }, 'authenticate_failed');
        done(Object.assign(new EdgeError('FW_INTAKE_AUTH_REFUSED', 'authentication failed', { cause }), { returnCode: 3 }) as never, false);
      },
    );
  };

  const authorizePublish: BrokerHooks['authorizePublish'] = (client, packet, callback) => {
    // We are the persistence: nothing is retained in broker memory.
    packet.retain = false;
    const identity = client ? identities.get(client) : undefined;
    const topic = String(packet.topic);
    let outcome: ReturnType<IntakePipeline['accept']>;
    try {
      const bytes = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(String(packet.payload));
      outcome = pipeline.accept({ topic, bytes, identity, receivedAt: Date.now() });
    } catch (cause) {
      outcome = Promise.reject(cause);
    }
    // The pipeline refuses exactly what has no identity or a topic not the device's own (a
    // refusal closes the connection without an ack); everything else it commits or quarantines.
    if (client && identity && packet.qos === 1 && packet.messageId !== undefined && decidePublish(identity, topic).ok) {
      return acknowledgeAfterCommit(client, packet, outcome, callback);
    }
    outcome.then(
      (outcome) => {
        if (outcome.status !== 'refused') {
          if (client) coalesceWrites(client.conn);
          return callback(null);
        }
        callback(new EdgeError('FW_INTAKE_PUBLISH_REFUSED', `publish to ${packet.topic} refused: ${outcome.reason}`));
      },
      (cause: unknown) => callback(commitFailed(client, packet, cause)),
    );
  };

  /** QoS 1 through the ack book (acks.ts): the PUBACK is written once the commit resolved. */
  function acknowledgeAfterCommit(client: Client, packet: Parameters<BrokerHooks['authorizePublish']>[1], outcome: ReturnType<IntakePipeline['accept']>, callback: (error?: Error | null) => void): void {
    const messageId = packet.messageId as number;
    // aedes neither acknowledges nor tracks a QoS 0 publish: the ack book owes the PUBACK.
    packet.qos = 0;
    const awaiting = awaitingCommit(client);
    awaiting.count += 1;
    // aedes reads a connection's next bytes only once every packet of the last read called back,
    // so holding the callback past the bound stops reading that socket and lets TCP hold the
    // rest: a device sending faster than the disk commits cannot turn its backlog into heap.
    if (awaiting.count <= MAX_AWAITING_COMMIT) callback(null);
    else awaiting.held.push(() => callback(null));
    const settled = (): void => {
      awaiting.count -= 1;
      awaiting.held.shift()?.();
    };
    // A failed commit (or a refusal, which the check before this path rules out) gets no ack,
    // and the connection is closed: the device re-sends what it has not seen acknowledged.
    outcome.then(
      (outcome) => {
        settled();
        if (outcome.status === 'refused') client.close();
        else acks.acknowledge(client.conn, messageId);
      },
      (cause: unknown) => {
        settled();
        commitFailed(client, packet, cause);
        client.close();
      },
    );
  }

  function awaitingCommit(client: Client): AwaitingCommit {
    let awaiting = awaitingByClient.get(client);
    if (!awaiting) awaitingByClient.set(client, (awaiting = { count: 0, held: [] }));
    return awaiting;
  }

  function commitFailed(client: Client | null, packet: { topic: string }, cause: unknown): EdgeError {
    commitFailures.note(String((cause as { code?: unknown }).code ?? 'unknown'), { clientId: client?.id, topic: packet.topic, err: cause });
    return new EdgeError('FW_INTAKE_COMMIT_FAILED', 'message not committed; not acknowledged', { cause, canRetry: true });
  }

  const authorizeSubscribe: BrokerHooks['authorizeSubscribe'] = (client, subscription, callback) => {
    const identity = identities.get(client);
    const verdict = identity ? decideSubscribe(identity, subscription.topic) : undefined;
    if (verdict?.ok) return callback(null, subscription);
    logger.info({ event: 'subscribe_refused', clientId: client.id, filter: subscription.topic, reason: verdict?.reason }, 'subscribe_refused');
    return callback(null, null);
  };

  return { preConnect, authenticate, authorizePublish, authorizeSubscribe, identities };
}

/**
 * One group commit settles the appends of many messages in the same microtask run, and aedes
 * writes each PUBACK as three small socket writes. Corking the connection until the next tick
 * sends all of a connection's PUBACKs of that commit in one writev instead of 3 × n syscalls.
 */
const corked = new WeakSet<Client['conn']>();
function coalesceWrites(connection: Client['conn']): void {
  if (corked.has(connection) || connection.destroyed) return;
  corked.add(connection);
  connection.cork();
  process.nextTick(() => {
    corked.delete(connection);
    connection.uncork();
  });
}

/** The peer's address: the socket's, or for MQTT over WebSocket the upgrade request's. */
function sourceAddress(client: Client): string {
  const socket = client.conn as Partial<Socket>;
  const request = (client as { req?: { socket?: Partial<Socket> } }).req;
  return socket.remoteAddress ?? request?.socket?.remoteAddress ?? 'unknown';
}

function peerCertificate(client: Client): ConnectAttempt['certificate'] {
  const socket = client.conn as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) return undefined;
  const commonName = certificate.subject?.CN;
  return { trusted: socket.authorized === true, commonName: Array.isArray(commonName) ? undefined : commonName };
}
