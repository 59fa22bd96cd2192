/**
 * The intake's options, with their defaults: the device registry, the embedded broker's
 * listeners (`mqtt`), the bridge to an existing broker (`bridge`), and the limits every message
 * is held to (`intake`). docs/edge.md documents each.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DAY_MS } from '@fleetwire/protocol';
import { IntegerOption, OptionGroup, PathOption } from '../settings.js';

const PORT_MAX = 65_535;

export const DevicesSettingsSchema = OptionGroup({
  /** The device registry (ids, kinds, password hashes); required with the embedded broker. */
  registryFile: PathOption(),
  /** Re-read the registry when its file changes (it is also re-read on SIGHUP). */
  watch: Type.Boolean({ default: true }),
  /** Password logins under attack (MQTT and OCPP): failure backoff, scrypt concurrency, recent logins (auth/login-guard.ts). */
  login: OptionGroup({
    sourceFreeFailures: IntegerOption(10, 0, 10_000),
    deviceFreeFailures: IntegerOption(5, 0, 10_000),
    baseBackoffMs: IntegerOption(1_000, 1, 3_600_000),
    maxBackoffMs: IntegerOption(60_000, 1, DAY_MS),
    maxConcurrentChecks: IntegerOption(2, 1, 64),
    maxQueuedChecks: IntegerOption(256, 0, 100_000),
    recentLoginTtlMs: IntegerOption(600_000, 0, DAY_MS),
  }),
});

export const MqttSettingsSchema = OptionGroup({
  enabled: Type.Boolean({ default: true }),
  host: Type.String({ default: '0.0.0.0' }),
  port: IntegerOption(1883, 0, PORT_MAX),
  maxPacketBytes: IntegerOption(262_144, 1_024, 16 * 1024 * 1024),
  tls: OptionGroup({
    enabled: Type.Boolean({ default: false }),
    port: IntegerOption(8883, 0, PORT_MAX),
    keyFile: PathOption(),
    certFile: PathOption(),
    caFile: PathOption(),
    requestCert: Type.Boolean({ default: false }),
  }),
  websocket: OptionGroup({ enabled: Type.Boolean({ default: false }), port: IntegerOption(8083, 0, PORT_MAX), path: Type.String({ default: '/mqtt' }) }),
});

export const BridgeSettingsSchema = OptionGroup({
  enabled: Type.Boolean({ default: false }),
  url: Type.String({ default: '' }),
  /** '' = `fleetwire-edge-{nodeId}`. */
  clientId: Type.String({ default: '' }),
  username: Type.String({ default: '' }),
  password: Type.String({ default: '' }),
  caFile: PathOption(),
  topics: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: ['fleetwire/v1/+/+/telemetry', 'fleetwire/v1/+/+/events'] }),
});

export const IntakeSettingsSchema = OptionGroup({
  maxPayloadBytes: IntegerOption(65_536, 256, 16 * 1024 * 1024),
  /** Up to a week: time-lapse and replay runs stamp simulated days that lie behind the wall clock. */
  maxClockSkewMs: IntegerOption(300_000, 0, 7 * DAY_MS),
});

export type MqttSettings = Static<typeof MqttSettingsSchema>;
export type BridgeSettings = Static<typeof BridgeSettingsSchema>;
