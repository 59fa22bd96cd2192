/**
 * Bridge mode: the agent subscribes to an existing MQTT broker (e.g. a site's Mosquitto)
 * instead of, or besides, running its own. A persistent session (clean: false, fixed client
 * id) with QoS 1 subscriptions makes the upstream broker hold every message until we
 * acknowledge it, and we acknowledge only after commit: mqtt.js sends the PUBACK once
 * `handleMessage`'s callback is called (lib/handlers/publish.js), and we call it after the
 * pipeline resolved. mqtt.js handles one message at a time per connection, so bridge
 * throughput is one commit per message.
 *
 * Trust boundary: the device identity is read from the topic. The upstream broker must
 * authenticate devices and enforce per-device topic ACLs; this agent trusts it to have done so.
 * When a device registry is configured, a device not in it is quarantined
 * (`device_not_allowed`).
 */
import { readFileSync } from 'node:fs';
import { parseTopic, redactUrl, type DeviceIdentity } from '@fleetwire/protocol';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { EdgeError } from '../../errors.js';
import type { IntakePipeline, IntakeSource } from '../intake.js';
import { createRepeatedLog } from '../../logging/repeated-log.js';

export interface BridgeOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** CA bundle for mqtts:// / wss:// upstream brokers. */
  caFile?: string;
  topics: string[];
  pipeline: IntakePipeline;
  logger: Logger;
  /** Delay between reconnect attempts, ms. Default 1000. */
  reconnectPeriodMs?: number;
}

export function identityFromTopic(topic: string): DeviceIdentity | undefined {
  const parsed = parseTopic(topic);
  if (!parsed.ok || parsed.value.channel === 'commands') return undefined;
  return { role: 'device', kind: parsed.value.kind, deviceId: parsed.value.deviceId };
}

export function createBridge(options: BridgeOptions): IntakeSource {
  const logger = options.logger.child({ stage: 'intake', source: 'bridge' });
  let client: MqttClient | undefined;
  let subscribed = false;
  // A full buffer refuses every bridged message and a down broker fails every reconnect.
  const commitFailures = createRepeatedLog(logger, { event: 'bridge_commit_failed', level: 'error' });
  const connectionErrors = createRepeatedLog(logger, { event: 'bridge_error', level: 'warn' });

  function subscribe(mqttClient: MqttClient): void {
    mqttClient.subscribe(options.topics, { qos: 1 }, (error, granted) => {
      if (error) return logger.error({ event: 'bridge_subscribe_failed', err: error }, 'bridge_subscribe_failed');
      const refused = (granted ?? []).filter((grant) => grant.qos === 128);
      if (refused.length > 0) logger.error({ event: 'bridge_subscribe_refused', topics: refused.map((grant) => grant.topic) }, 'bridge_subscribe_refused');
      subscribed = refused.length === 0;
      logger.info({ event: 'bridge_subscribed', url: redactUrl(options.url), topics: options.topics }, 'bridge_subscribed');
    });
  }

  function handleMessage(mqttClient: MqttClient, packet: { topic: string; payload: Buffer | string }, done: (error?: Error) => void): void {
    const bytes = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    options.pipeline.accept({ topic: packet.topic, bytes, identity: identityFromTopic(packet.topic), receivedAt: Date.now() }).then(
      // Every outcome but a failed commit is acknowledged: refusing would make the upstream
      // broker redeliver the same message forever.
      () => done(),
      (cause: unknown) => {
        commitFailures.note(String((cause as { code?: unknown }).code ?? 'unknown'), { err: cause, topic: packet.topic });
        // No PUBACK; dropping the connection makes the broker redeliver it on reconnect.
        mqttClient.stream.destroy();
        done(new EdgeError('FW_INTAKE_COMMIT_FAILED', 'bridged message not committed', { cause, canRetry: true }));
      },
    );
  }

  return {
    name: 'bridge',
    async start() {
      const connectOptions: IClientOptions = {
        clientId: options.clientId,
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: options.reconnectPeriodMs ?? 1_000,
        ...(options.username ? { username: options.username } : {}),
        ...(options.password ? { password: options.password } : {}),
        ...(options.caFile ? { ca: readFileSync(options.caFile) } : {}),
      };
      const mqttClient = mqtt.connect(options.url, connectOptions);
      client = mqttClient;
      mqttClient.handleMessage = (packet, done) => handleMessage(mqttClient, packet, done);
      mqttClient.on('connect', (connack) => {
        connectionErrors.end();
        logger.info({ event: 'bridge_connected', url: redactUrl(options.url), sessionPresent: connack.sessionPresent }, 'bridge_connected');
        subscribe(mqttClient);
      });
      mqttClient.on('close', () => {
        if (subscribed) logger.warn({ event: 'bridge_disconnected' }, 'bridge_disconnected');
        subscribed = false;
      });
      mqttClient.on('error', (error) => connectionErrors.note(String((error as { code?: unknown }).code ?? error.message), { err: error }));
    },
    async stop() {
      subscribed = false;
      if (client) await client.endAsync();
      logger.info({ event: 'bridge_stopped' }, 'bridge_stopped');
    },
    ready: () => subscribed,
    addresses: () => ({ bridge: redactUrl(options.url) }),
  };
}
