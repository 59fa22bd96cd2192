/**
 * Composes the edge agent: buffer (SQLite) ← intake (embedded broker and/or bridge, through
 * the durable pipeline and local rules) → uplink → cloud, with the HTTP surface beside it and,
 * when enabled, return-photo verification (vision) feeding its events into the same buffer.
 * Start order puts the buffer first and the device-facing listeners last; stop runs the
 * reverse: stop accepting, let commits under way finish (group commit), stop the uplink,
 * close the HTTP server, close the database.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import type { FleetRecord } from '@fleetwire/protocol';
import type { RecordBuffer } from './buffer/buffer.js';
import { registerCommitMetrics } from './buffer/metrics.js';
import { createSqliteBuffer } from './buffer/sqlite/index.js';
import { SECRET_PATHS, type EdgeConfig } from './config.js';
import type { CheckState, ReadinessReport } from './http/health.js';
import type { openReturnKeyFile as OpenReturnKeyFile } from './vision/upload/return-keys.js';
import type { ReturnTokenKeys } from './vision/upload/return-token.js';
import { createOperatorServer } from './http/operator-server.js';
import { registerRuntimeMetrics } from './http/runtime-metrics.js';
import { createLiveRegistry, type LiveRegistry } from './intake/auth/live-registry.js';
import { createLoginGuard } from './intake/auth/login-guard.js';
import { createEmbeddedBroker } from './intake/broker/broker.js';
import type { IntakeSource } from './intake/intake.js';
import { createIntakeMetrics } from './intake/metrics.js';
import { createIntakePipeline } from './intake/pipeline.js';
import { resolveTelemetryOptions } from './intake/telemetry-options.js';
import { createLocalRules } from './rules/local-rules.js';
import { createEdgeCommands } from './commands/index.js';
import { createUplink, readUplinkTls, type Uplink } from './uplink/uplink.js';
import type { VisionStage } from './vision/vision.js';

export interface EdgeAgent {
  /** Where the agent listens, by role: http (operator), photos, mqtt, mqtts, ws, bridge. */
  readonly addresses: Record<string, string>;
  readonly logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Default: pino to stdout at config.logLevel, secrets redacted. */
  logger?: Logger;
}

/** Log paths that may carry secrets; pino replaces their values. */
const REDACT_PATHS = ['token', 'password', '*.token', '*.password', 'tls.key', '*.tls.key', ...SECRET_PATHS.map((path) => `config.${path}`), 'headers.authorization', 'req.headers.authorization'];

export function createEdgeLogger(config: Pick<EdgeConfig, 'logLevel' | 'nodeId'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'fleetwire-edge', nodeId: config.nodeId }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

export async function startEdgeAgent(config: EdgeConfig, options: StartOptions = {}): Promise<EdgeAgent> {
  const logger = options.logger ?? createEdgeLogger(config);
  const registry = new Registry();
  registerRuntimeMetrics(registry);
  const cleanup: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) {
      await step().catch((error: unknown) => logger.error({ event: 'edge_stop_step_failed', err: error }, 'edge_stop_step_failed'));
    }
  };

  try {
    // The uplink's PEM files are read first: a wrong path stops the agent before it opens anything.
    const { url, token, caFile, certFile, keyFile } = config.cloud;
    const uplinkTls = url === '' ? undefined : readUplinkTls({ caFile, certFile, keyFile }, { nodeId: config.nodeId, hasToken: token !== '' });
    const telemetry = resolveTelemetryOptions(config.telemetry);
    const { ocpp } = config;
    mkdirSync(config.dataDir, { recursive: true });
    // With the bridge on, config.buffer.commitIntervalMs defaults to 0 (config.ts says why).
    const buffer: RecordBuffer = createSqliteBuffer({
      ...config.buffer,
      path: join(config.dataDir, 'buffer.sqlite'),
      logger: logger.child({ stage: 'buffer' }),
    });
    registerCommitMetrics(registry, buffer);
    let bufferOpen = true;
    cleanup.push(async () => {
      bufferOpen = false;
      await buffer.close();
    });

    // Models load once, here, before any device or app can reach the agent.
    let vision: VisionStage | undefined;
    if (config.vision.enabled) {
      // Imported here, not at the top: the ONNX runtime, libvips (sharp) and the models cost tens
      // of MB the moment they load, and most agents serve devices only (docs/edge.md, "Memory").
      const { startVision } = await import('./vision/vision.js');
      const started = await startVision({ nodeId: config.nodeId, dataDir: config.dataDir, config: config.vision, buffer, registry, logger: logger.child({ stage: 'vision' }) });
      vision = started;
      cleanup.push(() => started.close());
    }

    const sources: IntakeSource[] = [];
    // Live: a changed file (or SIGHUP) replaces the registry when valid whole; connections of removed or changed devices end.
    const deviceRegistry: LiveRegistry | undefined = config.devices.registryFile
      ? createLiveRegistry({
          file: config.devices.registryFile,
          watch: config.devices.watch,
          logger: logger.child({ stage: 'intake' }),
          onReplaced: (stale) => {
            for (const source of sources) source.disconnect?.((identity) => !stale.has(identity.deviceId));
          },
        })
      : undefined;
    if (deviceRegistry) {
      const onHangup = () => deviceRegistry.reload();
      process.on('SIGHUP', onHangup);
      cleanup.push(async () => {
        process.off('SIGHUP', onHangup);
        deviceRegistry.close();
      });
    }
    const localRules = createLocalRules({ nodeId: config.nodeId, ...config.rules });
    // Commands need the cloud to come from and the embedded broker to reach the vehicles.
    const commands =
      config.cloud.url !== '' && config.mqtt.enabled
        ? createEdgeCommands({ nodeId: config.nodeId, dataDir: config.dataDir, buffer, cloud: { url, token, ...(uplinkTls === undefined ? {} : { tls: uplinkTls }) }, metrics: registry, logger })
        : undefined;
    const rules = commands === undefined ? localRules : { evaluate: (record: FleetRecord) => [...localRules.evaluate(record), ...commands.evaluate(record)] };
    const metrics = createIntakeMetrics(registry);
    const positions = vision?.positions;
    const pipeline = createIntakePipeline({
      buffer,
      rules,
      metrics,
      logger,
      maxPayloadBytes: config.intake.maxPayloadBytes,
      maxClockSkewMs: config.intake.maxClockSkewMs,
      telemetry,
      ...(deviceRegistry ? { servesDevice: (identity) => deviceRegistry.get(identity.deviceId)?.kind === identity.kind } : {}),
      ...(positions || commands ? { observe: (record) => {
        positions?.observe(record);
        commands?.observe(record);
      } } : {}),
    });

    let uplink: Uplink | undefined;
    let uplinkRunning = false;
    if (config.cloud.url !== '') {
      const started = createUplink({
        ...config.uplink,
        buffer,
        url,
        nodeId: config.nodeId,
        token,
        ...(uplinkTls === undefined ? {} : { tls: uplinkTls }),
        metrics: registry,
        logger: logger.child({ stage: 'uplink' }),
      });
      uplink = started;
      started.start();
      uplinkRunning = true;
      cleanup.push(async () => {
        uplinkRunning = false;
        await started.stop();
      });
    }

    const logins = createLoginGuard(config.devices.login, registry);
    if (config.mqtt.enabled && deviceRegistry) {
      const broker = createEmbeddedBroker({ listeners: config.mqtt, registry: deviceRegistry, logins, pipeline, metrics, logger });
      commands?.attachDevices(broker);
      sources.push(broker);
    }
    // OCPP (its RPC library and schema validators, ~8 MB of heap) and the bridge (an MQTT
    // client, ~5 MB) load only when enabled, like vision.
    if (ocpp.enabled && deviceRegistry) {
      const { createCentralSystem } = await import('./intake/ocpp/central-system.js');
      sources.push(createCentralSystem({ options: ocpp, registry: () => deviceRegistry, logins, pipeline, metrics, logger, dataDir: config.dataDir }));
    }
    if (config.bridge.enabled) {
      const { url, clientId, username, password, caFile, topics } = config.bridge;
      const { createBridge } = await import('./intake/bridge/bridge.js');
      sources.push(createBridge({ url, clientId, username, password, caFile, topics, pipeline, logger }));
    }

    const readiness = (): ReadinessReport => {
      const checks: ReadinessReport['checks'] = { buffer: { state: bufferState(buffer, bufferOpen) } };
      for (const source of sources) checks[source.name] = { state: source.ready() ? 'ok' : 'failing' };
      checks.uplink = uplink ? { state: 'ok', detail: uplinkRunning ? 'running' : 'stopped' } : { state: 'disabled', detail: 'no cloud.url configured' };
      checks.vision = vision
        ? { state: vision.isOpen() ? 'ok' : 'failing', detail: `models ${vision.modelVersions.damage}, ${vision.modelVersions.screen}` }
        : { state: 'disabled', detail: 'vision.enabled is false' };
      const ready = Object.entries(checks).every(([name, check]) => name === 'uplink' || check.state !== 'failing');
      return { ready, checks };
    };
    const http = createOperatorServer({ registry, readiness, logger: logger.child({ stage: 'http' }) });
    const httpAddress = await http.listen({ host: config.http.host, port: config.http.port });
    cleanup.push(() => http.close());
    const addresses: Record<string, string> = { http: httpAddress };
    if (vision) {
      // Loaded with vision only, like the models: an agent without it never pays for fastify, the photo API or JOSE.
      const { createHttpApp } = await import('./http/server.js');
      const { PHOTO_API_SECURITY_SCHEMES } = await import('./vision/upload/photo-api-docs.js');
      const { photoRoutes } = await import('./vision/upload/photo-routes.js');
      const { openReturnKeyFile } = await import('./vision/upload/return-keys.js');
      const { maxPhotos, maxPhotoBytes } = config.vision.limits;
      const { host, port, tls } = config.photoApi;
      const https = tls.enabled ? { key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile) } : undefined;
      const photos = createHttpApp({ logger: logger.child({ stage: 'photo-api' }), securitySchemes: PHOTO_API_SECURITY_SCHEMES, ...(https === undefined ? {} : { https }) });
      await photos.register(photoRoutes, { vision, returnTokens: returnTokenKeys(config.vision, openReturnKeyFile, registry, logger.child({ stage: 'vision' })), limits: { maxPhotos, maxPhotoBytes } });
      addresses.photos = await photos.listen({ host, port });
      cleanup.push(() => photos.close());
    }

    // Sources stop first (pushed last): no new messages, then let the ones under way commit.
    cleanup.push(() => pipeline.settle());
    for (const source of sources) {
      cleanup.push(() => source.stop());
      await source.start();
    }

    if (commands) {
      // After the broker: a command resumed after a restart can reach a vehicle at once.
      await commands.start();
      cleanup.push(() => commands.stop());
    }
    for (const source of sources) Object.assign(addresses, source.addresses());
    logger.info({ event: 'edge_agent_started', addresses, devices: deviceRegistry?.size ?? 0 }, 'edge_agent_started');

    let stopping: Promise<void> | undefined;
    return {
      addresses,
      logger,
      stop() {
        stopping ??= stopAll().then(() => logger.info({ event: 'edge_agent_stopped' }, 'edge_agent_stopped'));
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The public keys (re-read when their file changes) and, only with legacyHs256, the shared secret. */
function returnTokenKeys(vision: EdgeConfig['vision'], openReturnKeyFile: typeof OpenReturnKeyFile, registry: Registry, logger: Logger): ReturnTokenKeys {
  const reloads = new Counter({ name: 'fleetwire_edge_return_keys_reloads_total', help: 'Re-reads of vision.returnTokenKeysFile after it changed, by outcome (ok, refused).', labelNames: ['outcome'], registers: [registry] });
  const file = vision.returnTokenKeysFile === '' ? undefined : openReturnKeyFile({ file: vision.returnTokenKeysFile, logger, onReload: (outcome) => reloads.inc({ outcome }) });
  return {
    ...(file === undefined ? {} : { publicKeys: () => file.keySet() }),
    ...(vision.legacyHs256 ? { legacySecret: vision.returnTokenSecret } : {}),
  };
}

function bufferState(buffer: RecordBuffer, open: boolean): CheckState {
  if (!open) return 'failing';
  try {
    buffer.stats();
    return 'ok';
  } catch {
    return 'failing';
  }
}
