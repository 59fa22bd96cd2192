/**
 * One device's MQTT connection (mqtt.js 5, QoS 1) with its own outbox. The outbox, not
 * mqtt.js, owns unacknowledged messages: on any lost connection — a network drop, a broker
 * restart, the edge closing us for a forbidden topic — the in-flight messages come back to the
 * front of the queue and are resent, same bytes and id, after reconnecting. The ledger hears
 * of every send and every PUBACK.
 */
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { PublishLedger } from '../ledger/ledger.js';
import type { OutgoingMessage } from '../world/outgoing.js';

export interface DeviceLinkOptions {
  url: string;
  clientId: string;
  username: string;
  password: string;
  ledger: PublishLedger;
  /** Unacknowledged PUBLISHes allowed at once. Default 20. */
  maxInFlight?: number;
  /** Wait before reconnecting after a lost connection, ms (jittered up to 2×). Default 1 000. */
  reconnectDelayMs?: number;
  /** Default 10 000. */
  connectTimeoutMs?: number;
  /** Vehicles: the commands filter subscribed on every connect, and who hears a command on it. */
  commands?: { filter: string; received(topic: string, payload: Buffer): void };
  /** Told about connection trouble (refused credentials, resets), for logs and counters. */
  onTrouble?: (event: 'connect_failed' | 'connection_lost', detail: string) => void;
}

export interface DeviceLink {
  /** Starts connecting; the link reconnects by itself until closed. */
  connect(): void;
  send(message: OutgoingMessage): void;
  /** Cuts the connection abruptly (no DISCONNECT) and stays offline for `ms`, queueing. */
  dropFor(ms: number): void;
  readonly connected: boolean;
  /** Has connected at least once. */
  readonly everConnected: boolean;
  /** Copies queued or in flight. */
  readonly backlog: number;
  /** Waits up to `drainMs` for the backlog to be acknowledged, then disconnects; leftovers are abandoned. */
  close(drainMs: number): Promise<void>;
}

interface Copy {
  message: OutgoingMessage;
  /** Position in the device's send order, so resends go back where they were. */
  order: number;
}

export function createDeviceLink(options: DeviceLinkOptions): DeviceLink {
  const maxInFlight = options.maxInFlight ?? 20;
  const reconnectDelayMs = options.reconnectDelayMs ?? 1_000;
  const { ledger } = options;
  const queue: Copy[] = [];
  let inFlight = 0;
  let order = 0;
  let client: MqttClient | undefined;
  let connected = false;
  let everConnected = false;
  let closing = false;
  let offlineUntil = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let drained: (() => void) | undefined;

  const requeue = (copy: Copy): void => {
    let i = queue.findIndex((c) => c.order > copy.order);
    if (i < 0) i = queue.length;
    queue.splice(i, 0, copy);
  };

  const settle = (): void => {
    if (drained && queue.length === 0 && inFlight === 0) drained();
  };

  const pump = (): void => {
    while (connected && client && inFlight < maxInFlight && queue.length > 0) {
      const copy = queue.shift() as Copy;
      const { message } = copy;
      inFlight += 1;
      ledger.sent(message.id, Date.now());
      client.publish(message.topic, message.bytes, { qos: 1 }, (error) => {
        inFlight -= 1;
        if (!error) ledger.acked(message.id, Date.now());
        else if (message.resend && !closing) requeue(copy);
        else ledger.abandoned(message.id, error.message);
        pump();
        settle();
      });
    }
  };

  const scheduleReconnect = (): void => {
    if (closing || reconnectTimer) return;
    const wait = Math.max(offlineUntil - Date.now(), reconnectDelayMs * (1 + Math.random()));
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      open();
    }, wait);
  };

  /**
   * Ends a dead or dropped client: with reconnectPeriod 0 and a clean session, mqtt.js then
   * fails its in-flight callbacks, which requeue them. Its events are ignored from here on
   * (every handler checks it is still the current client).
   */
  const discard = (dead: MqttClient): void => {
    dead.end(true);
  };

  const open = (): void => {
    if (closing) return;
    const current = mqtt.connect(options.url, {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      protocolVersion: 4,
      clean: true,
      // Reconnection is ours: mqtt.js would resend from its own store, which we do not use.
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      keepalive: 30,
    });
    client = current;
    current.on('connect', () => {
      if (client !== current) return;
      connected = true;
      everConnected = true;
      // A clean session forgets subscriptions: every connect subscribes again.
      if (options.commands) current.subscribe(options.commands.filter, { qos: 1 });
      pump();
    });
    current.on('message', (topic, payload) => {
      if (client === current) options.commands?.received(topic, payload);
    });
    current.on('error', (error) => options.onTrouble?.('connect_failed', error.message));
    current.on('close', () => {
      if (client !== current) return;
      if (connected) options.onTrouble?.('connection_lost', 'connection closed');
      connected = false;
      client = undefined;
      discard(current);
      scheduleReconnect();
    });
  };

  return {
    connect: open,
    send(message) {
      for (let i = 0; i < message.copies; i++) queue.push({ message, order: order++ });
      pump();
    },
    dropFor(ms) {
      offlineUntil = Date.now() + ms;
      const current = client;
      if (!current) return;
      connected = false;
      client = undefined;
      discard(current);
      scheduleReconnect();
    },
    get connected() {
      return connected;
    },
    get everConnected() {
      return everConnected;
    },
    get backlog() {
      return queue.length + inFlight;
    },
    async close(drainMs) {
      if (queue.length > 0 || inFlight > 0) {
        if (offlineUntil > Date.now()) {
          // Come back from a deliberate drop now, to deliver what is queued.
          offlineUntil = 0;
          clearTimeout(reconnectTimer);
          reconnectTimer = undefined;
          scheduleReconnect();
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, drainMs);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      closing = true;
      clearTimeout(reconnectTimer);
      for (const copy of queue.splice(0)) ledger.abandoned(copy.message.id, 'simulation stopped before it was sent');
      const current = client;
      client = undefined;
      connected = false;
      // A graceful DISCONNECT unless PUBACKs are still owed (mqtt.js would wait for them forever).
      if (current) await current.endAsync(inFlight > 0).catch(() => undefined);
    },
  };
}
