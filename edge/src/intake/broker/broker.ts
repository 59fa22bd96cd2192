/**
 * The embedded MQTT broker (aedes) as an intake source. Devices connect over TCP, TLS or
 * WebSocket; the hooks authenticate them and push every publish through the durable pipeline
 * before aedes acknowledges it. aedes keeps only its in-memory session state: nothing is
 * retained (the hooks clear the retain flag) — the SQLite buffer is the persistence.
 * Nothing a client sends may crash the agent: transport, parser and hook errors are logged
 * and end that one connection.
 */
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { Aedes, type Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { DeviceIdentity } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../auth/device-registry.js';
import type { IntakePipeline, IntakeSource } from '../intake.js';
import type { LoginGuard } from '../auth/login-guard.js';
import type { IntakeMetrics } from '../metrics.js';
import { skipRoutingOfUplinkTopics } from './forwarding.js';
import { guardFrameSizes } from './frame-guard.js';
import { createBrokerHooks } from './hooks.js';
import { createListeners, type Listener, type ListenerConfig } from './listeners.js';
import { createRepeatedLog } from '../../logging/repeated-log.js';

export interface EmbeddedBrokerOptions {
  listeners: ListenerConfig;
  registry: DeviceRegistry;
  logins: LoginGuard;
  pipeline: IntakePipeline;
  metrics: IntakeMetrics;
  logger: Logger;
}

/**
 * The way back to the devices, for commands (edge/src/commands): a QoS 1 publish to a device
 * that holds a session here, and a signal when a device subscribes to its commands (it may
 * have missed a publish while it was away).
 */
export interface DeviceChannel {
  /** Publishes at QoS 1; false when the device holds no session here (nothing was sent). */
  sendToDevice(deviceId: string, topic: string, payload: Buffer): boolean;
  onCommandsSubscribed(listener: (identity: DeviceIdentity) => void): void;
}

export function createEmbeddedBroker(options: EmbeddedBrokerOptions): IntakeSource & Required<Pick<IntakeSource, 'disconnect'>> & DeviceChannel {
  const logger = options.logger.child({ stage: 'intake', source: 'broker' });
  const { metrics } = options;
  const hooks = createBrokerHooks({ registry: options.registry, logins: options.logins, pipeline: options.pipeline, metrics, logger });
  let aedes: Aedes | undefined;
  let listeners: Listener[] = [];
  let addresses: Record<string, string> = {};
  let listening = false;
  // aedes reports every refused publish as a client error: at a full buffer, one per resend.
  const clientErrors = createRepeatedLog(logger, { event: 'client_error', level: 'info' });
  const connected = new Set<Client>();
  const subscribedListeners: Array<(identity: DeviceIdentity) => void> = [];

  const onConnection = (connection: Duplex, request?: IncomingMessage): void => {
    if (!aedes || aedes.closed) {
      connection.destroy();
      return;
    }
    connection.on('error', (error) => logger.debug({ event: 'connection_error', err: error }, 'connection_error'));
    aedes.handle(connection, request);
    guardFrameSizes(connection, options.listeners.maxPacketBytes, (declaredBytes) => {
      metrics.rejected.inc({ reason: 'payload_too_large' });
      logger.warn({ event: 'packet_refused', reason: 'payload_too_large', declaredBytes, limit: options.listeners.maxPacketBytes }, 'packet_refused');
    });
  };

  return {
    name: 'broker',
    async start() {
      // mqtt-packet (aedes's encoder) otherwise builds, at the first packet it writes, a table of
      // 65,536 two-byte Buffers (6.4 MB of heap for the process's life) to save one 2-byte
      // allocation per packet id written — a PUBACK's. Measured in heap snapshots of an agent
      // with devices connected (docs/edge.md, "Memory"); the allocation is noise beside a commit.
      mqttPacket.writeToStream.cacheNumbers = false;
      aedes = await Aedes.createBroker({
        preConnect: hooks.preConnect,
        authenticate: hooks.authenticate,
        authorizePublish: hooks.authorizePublish,
        authorizeSubscribe: hooks.authorizeSubscribe,
      });
      skipRoutingOfUplinkTopics(aedes);
      aedes.on('clientReady', (client) => {
        if (!hooks.identities.has(client)) return;
        connected.add(client);
        metrics.connectedDevices.inc();
      });
      aedes.on('clientDisconnect', (client) => {
        if (!connected.delete(client)) return;
        metrics.connectedDevices.dec();
      });
      aedes.on('subscribe', (subscriptions, client) => {
        const identity = client ? hooks.identities.get(client) : undefined;
        if (identity === undefined || !subscriptions.some((s) => s.topic.includes('/commands'))) return;
        for (const listener of subscribedListeners) listener(identity);
      });
      aedes.on('clientError', (client, error) => clientErrors.note(String((error as { code?: unknown }).code ?? error.message), { clientId: client.id, err: error }));
      aedes.on('connectionError', (_client, error) => logger.debug({ event: 'connection_error', err: error }, 'connection_error'));
      // aedes emits 'error' for failures of its own session store; without a listener they would crash the agent.
      (aedes as unknown as NodeJS.EventEmitter).on('error', (error: Error) => logger.error({ event: 'broker_error', err: error }, 'broker_error'));
      listeners = createListeners(options.listeners, onConnection, (role, error) =>
        logger.debug({ event: 'transport_error', role, err: error }, 'transport_error'),
      );
      const bound = await Promise.all(listeners.map(async (listener) => [listener.role, await listener.listen()] as const));
      addresses = Object.fromEntries(bound);
      listening = true;
      logger.info({ event: 'broker_listening', addresses }, 'broker_listening');
    },
    async stop() {
      listening = false;
      const closing = listeners.map((listener) => listener.close());
      const broker = aedes;
      if (broker) await new Promise<void>((resolvePromise) => broker.close(() => resolvePromise()));
      await Promise.all(closing);
      logger.info({ event: 'broker_stopped' }, 'broker_stopped');
    },
    ready: () => listening,
    addresses: () => ({ ...addresses }),
    sendToDevice(deviceId, topic, payload) {
      const broker = aedes;
      if (broker === undefined || broker.closed) return false;
      const online = [...connected].some((client) => hooks.identities.get(client)?.deviceId === deviceId);
      if (!online) return false;
      broker.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (error) => {
        if (error) logger.warn({ event: 'command_publish_failed', deviceId, topic, err: error }, 'command_publish_failed');
      });
      return true;
    },
    onCommandsSubscribed(listener) {
      subscribedListeners.push(listener);
    },
    disconnect(keep) {
      let closed = 0;
      for (const client of connected) {
        const identity = hooks.identities.get(client);
        if (identity === undefined || keep(identity)) continue;
        closed += 1;
        logger.info({ event: 'device_disconnected', deviceId: identity.deviceId, reason: 'registry_changed' }, 'device_disconnected');
        client.close();
      }
      return closed;
    },
  };
}
