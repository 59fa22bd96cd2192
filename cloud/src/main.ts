/**
 * Composes the cloud: bus (embedded or Kafka) → ingest HTTP API and the business events API → time-series sink (when
 * configured), the fleet state service with its API and dashboard, analytics and maintenance
 * prediction, the audit trail, the return saga with its payment webhook (each unless disabled), with health, metrics and the node auth file that reloads
 * itself.
 *
 * Shutdown order keeps the chain of custody: the HTTP server stops accepting and finishes the
 * batches in flight (each answered only after the bus stored it), then the services and the
 * sink stop consuming (the sink's offsets are committed only for written points), then the
 * bus closes.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { BUS_TOPICS, type DecodedBatch } from '@fleetwire/protocol';
import { pino, type DestinationStream, type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createBus } from './bus/create-bus.js';
import { auditRoutes, configLoadedEntry, createAuditService, openSqliteAuditLog } from './audit/index.js';
import { businessEventsRoutes, createPseudonymiser, loadClients, loadPseudonymKey } from './business-events/index.js';
import { commandRoutes, createCommandService, downlinkRoutes, openCloudCommandStore, type CommandService } from './commands/index.js';
import { auditLogOf, authFileOf, busConfigOf, clientsFileOf, configWarnings, commandLogOf, pseudonymKeyFileOf, returnStoreOf, type CloudConfig } from './config.js';
import { CloudError } from './errors.js';
import { healthRoutes, type ReadinessCheck } from './http/health.js';
import { metricsRoutes } from './http/metrics.js';
import { createHttpServer, type HttpTls } from './http/server.js';
import { readAuthFile, type NodeEntry } from './ingest/auth/auth-file.js';
import { watchRegistry, type WatchedRegistry } from './watched-registry.js';
import { createNodeRegistry, type NodeIdentity, type NodeRegistry } from './ingest/auth/node-registry.js';
import { createRateLimits } from './http/rate-limits.js';
import { ingestRoutes } from './ingest/ingest.js';
import { createTsdbSink } from './sinks/tsdb/index.js';
import { COMMAND_LOG_CHANGED, createDashboardFeed, dashboardRoutes, EMPTY_SITE_MAP, readSiteMap, createTsdbHistory, type DashboardFeed } from './dashboard/index.js';
import { analyticsRoutes, createAnalyticsService, type AnalyticsService } from './services/analytics/index.js';
import { createFleetService, fleetRoutes, isLoopbackHost, type FleetService } from './services/fleet/index.js';
import { createMaintenanceService } from './services/maintenance/index.js';
import { createPaymentWebhook, createReturnSagaService, openSqliteReturnStore, returnsRoutes, type ReturnStore } from './services/returns/index.js';

export interface CloudDependencies {
  logger?: Logger;
  /** Metrics of every stage; a fresh registry (with process metrics) when absent. */
  metrics?: Registry;
}

export interface RunningCloud {
  /** e.g. `http://127.0.0.1:8080`: ingest and business events (and everything else without http.operator). */
  address: string;
  /** Health, readiness, metrics, fleet/audit/analytics APIs, dashboard: `address` unless http.operator is set. */
  operatorAddress: string;
  stop(): Promise<void>;
}

export function createCloudLogger(level: string, destination?: DestinationStream): Logger {
  // Tokens must never reach a log line, whichever serializer prints the headers.
  const options = {
    level,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token'], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export async function startCloud(config: CloudConfig, dependencies: CloudDependencies = {}): Promise<RunningCloud> {
  const logger = dependencies.logger ?? createCloudLogger(config.logLevel);
  const metrics = dependencies.metrics ?? defaultRegistry();
  mkdirSync(config.dataDir, { recursive: true });
  for (const warning of configWarnings(config)) logger.warn({ warning }, 'config_warning');

  const bus = createBus(busConfigOf(config), { logger, metrics });
  const stops: Array<() => Promise<void> | void> = [() => bus.close()];
  const stopAll = async (): Promise<void> => {
    // Last started, first stopped; one failing step must not keep the others from running.
    for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'cloud_stop_step_failed');
      }
    }
  };
  try {
    // Reachable, logged in, every topic there: a wrong password, an untrusted certificate or a
    // missing topic stops the start here with a coded error that says which, instead of a hang.
    await bus.prepare(Object.values(BUS_TOPICS));
    const checks: Record<string, ReadinessCheck> = { bus: () => bus.ready() };
    if (config.tsdb !== undefined) {
      const { url, org, bucket, token = '' } = config.tsdb;
      const sink = createTsdbSink({ bus, url, org, bucket, token, metrics, logger });
      await sink.start();
      stops.push(() => sink.stop());
      checks.tsdb = () => sink.ready();
    }
    let fleet: FleetService | undefined;
    let dashboardFeed: DashboardFeed | undefined;
    if (config.fleet.enabled) {
      const { enabled: _enabled, readToken: _readToken, ...settings } = config.fleet;
      const service = createFleetService({ bus, metrics, logger, ...settings });
      await service.start();
      stops.push(() => service.stop());
      checks.fleet = () => service.ready();
      fleet = service;
      const { historyPointsPerVehicle, spikesPerSite } = config.dashboard;
      dashboardFeed = createDashboardFeed({ historyPointsPerVehicle, spikesPerSite, keepHistory: config.tsdb === undefined });
      stops.push(service.onApplied(dashboardFeed.apply));
    }
    let analytics: AnalyticsService | undefined;
    if (config.analytics.enabled) {
      const { enabled: _enabled, ...rules } = config.analytics;
      const service = createAnalyticsService({ bus, metrics, logger, ...rules, ...(fleet === undefined ? {} : { fleet: fleet.reader }) });
      await service.start();
      stops.push(() => service.stop());
      checks.analytics = () => service.ready();
      analytics = service;
    }
    if (config.maintenance.enabled) {
      const service = createMaintenanceService({ bus, metrics, logger, ...config.maintenance });
      await service.start();
      stops.push(() => service.stop());
      checks.maintenance = () => service.ready();
    }
    let audit: ReturnType<typeof openSqliteAuditLog> | undefined;
    if (config.audit.enabled) {
      const log = openSqliteAuditLog(auditLogOf(config));
      audit = log;
      stops.push(() => log.close());
      log.append(configLoadedEntry(config, Date.now()));
      const service = createAuditService({ bus, log, metrics, logger });
      await service.start();
      stops.push(() => service.stop());
      checks.audit = () => service.ready();
    }
    let returns: ReturnStore | undefined;
    if (config.returns.enabled) {
      const { groupId, fromBeginning, tickIntervalMs, policy, payment } = config.returns;
      const store = openSqliteReturnStore(returnStoreOf(config));
      returns = store;
      stops.push(() => store.close());
      const service = createReturnSagaService({ bus, store, policy, metrics, logger, groupId, fromBeginning, tickIntervalMs });
      await service.start();
      stops.push(() => service.stop());
      checks.returns = () => service.ready();
      if (payment.webhookUrl !== undefined) {
        const { webhookUrl: url, token, groupId: webhookGroup, requestTimeoutMs, attempts } = payment;
        const webhook = createPaymentWebhook({ bus, url, ...(token === undefined ? {} : { token }), groupId: webhookGroup, fromBeginning, requestTimeoutMs, attempts, metrics, logger });
        await webhook.start();
        stops.push(() => webhook.stop());
        checks.paymentWebhook = () => webhook.ready();
      }
    }
    let commands: CommandService | undefined;
    if (config.commands.enabled) {
      const store = openCloudCommandStore(commandLogOf(config));
      stops.push(() => store.close());
      const feed = dashboardFeed;
      const onChange = feed === undefined ? undefined : () => feed.live.publish(COMMAND_LOG_CHANGED);
      const service = createCommandService({ bus, store, metrics, logger, sweepIntervalMs: config.commands.sweepIntervalMs, ...(onChange === undefined ? {} : { onChange }) });
      await service.start();
      stops.push(() => service.stop());
      checks.commands = () => service.ready();
      commands = service;
    }
    const nodes = loadNodes(config, logger);
    stops.push(nodes.stop);

    const app = await createHttpServer({
      logger: logger.child({ stage: 'http' }),
      bodyLimit: config.ingest.maxBodyBytes,
      retryAfterSeconds: config.ingest.retryAfterSeconds,
      ...(config.http.tls === undefined ? {} : { tls: readTls(config.http.tls) }),
    });
    stops.push(() => app.close());
    // With http.operator set, the operator's routes get their own listener; else they share the one.
    const operatorApp = config.http.operator === undefined ? app : await createHttpServer({ logger: logger.child({ stage: 'http-operator' }), bodyLimit: config.ingest.maxBodyBytes, retryAfterSeconds: config.ingest.retryAfterSeconds });
    if (operatorApp !== app) stops.push(() => operatorApp.close());
    await operatorApp.register(healthRoutes, { checks });
    await operatorApp.register(metricsRoutes, { registry: metrics });
    const rateLimits = createRateLimits(config.rateLimits, metrics);
    // Before any token is checked: what a stranger can make the public listener do is bounded too.
    app.addHook('onRequest', async (request) => rateLimits.check('source', request.ip));
    await app.register(ingestRoutes, { bus, nodes: nodes.registry, metrics, settings: config.ingest, rateLimits, ...(commands === undefined ? {} : { onStored: (node: NodeIdentity, batch: DecodedBatch) => commands.observeBatch(node, batch) }) });
    if (config.businessEvents.enabled || commands !== undefined) {
      const { clients: inline, reloadIntervalMs, ...settings } = config.businessEvents;
      const clients = loadClients({ file: clientsFileOf(config), inline, reloadIntervalMs, logger });
      stops.push(clients.stop);
      if (config.businessEvents.enabled) {
        const pseudonymise = createPseudonymiser(loadPseudonymKey(pseudonymKeyFileOf(config)));
        await app.register(businessEventsRoutes, { bus, clients: clients.registry, metrics, settings, pseudonymise, retryAfterSeconds: config.ingest.retryAfterSeconds, rateLimits });
      }
      if (commands !== undefined) {
        const { maxWaitMs, maxDeadlineMs, defaultTimeoutMs, maxPollWaitMs } = config.commands;
        const commandOptions = { service: commands, clients: clients.registry, readToken: config.fleet.readToken, maxWaitMs, maxDeadlineMs, defaultTimeoutMs };
        // Split listeners: callers send and poll on the public one; the dashboard reads the command log on the operator's.
        if (operatorApp === app) await app.register(commandRoutes, commandOptions);
        else {
          await app.register(commandRoutes, { ...commandOptions, listener: 'public' });
          await operatorApp.register(commandRoutes, { ...commandOptions, listener: 'operator' });
        }
        await app.register(downlinkRoutes, { service: commands, nodes: nodes.registry, maxPollWaitMs });
      }
    }
    if (fleet !== undefined && dashboardFeed !== undefined) {
      const { readToken } = config.fleet;
      await operatorApp.register(fleetRoutes, { reader: fleet.reader, readToken });
      const { mapFile, historyPointsPerVehicle, tsdbTimeoutMs } = config.dashboard;
      await operatorApp.register(dashboardRoutes, {
        feed: dashboardFeed, readToken, maxHistoryPoints: historyPointsPerVehicle,
        map: mapFile === undefined ? EMPTY_SITE_MAP : readSiteMap(mapFile),
        ...(config.tsdb === undefined ? {} : { tsdbHistory: createTsdbHistory({ url: config.tsdb.url, token: config.tsdb.token ?? '', timeoutMs: tsdbTimeoutMs }) }),
      });
    }
    if (audit !== undefined) await operatorApp.register(auditRoutes, { log: audit, readToken: config.fleet.readToken, maxQueryEntries: config.audit.maxQueryEntries });
    if (returns !== undefined) await operatorApp.register(returnsRoutes, { store: returns, readToken: config.fleet.readToken, maxListed: config.returns.maxListed });
    if (analytics !== undefined) await operatorApp.register(analyticsRoutes, { reports: analytics.reports, readToken: config.fleet.readToken });
    // Vehicle positions and usage are not for everyone on the network; say so where the operator looks.
    const readApis = fleet !== undefined || analytics !== undefined || audit !== undefined || returns !== undefined;
    const operatorHost = config.http.operator?.host ?? config.http.host;
    if (readApis && config.fleet.readToken === undefined && !isLoopbackHost(operatorHost)) logger.warn({ host: operatorHost }, 'fleet_api_open');
    const address = await listen(app, config.http);
    const operatorAddress = config.http.operator === undefined ? address : await listen(operatorApp, config.http.operator);
    logger.info({ address, bus: config.bus.kind, tsdb: config.tsdb !== undefined, fleet: fleet !== undefined, analytics: analytics !== undefined, maintenance: config.maintenance.enabled }, 'cloud_started');
    return {
      address,
      operatorAddress,
      async stop() {
        await stopAll();
        logger.info('cloud_stopped');
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A busy or forbidden port is the operator's to fix: said as a config error, not a stack trace. */
async function listen(app: Awaited<ReturnType<typeof createHttpServer>>, { host, port }: { host: string; port: number }): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') throw cause;
    throw new CloudError('FW_CONFIG_INVALID', `cannot listen on ${host}:${port}: ${code} (choose another port, or stop what holds this one)`, { cause });
  }
}

function defaultRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The node registry from inline nodes plus the auth file, reloaded on SIGHUP and on change. */
function loadNodes(config: CloudConfig, logger: Logger): WatchedRegistry<NodeRegistry> {
  const file = authFileOf(config);
  const watched = watchRegistry<NodeEntry, NodeRegistry>({
    file,
    read: () => [...config.auth.nodes, ...(existsSync(file) ? readAuthFile(file).nodes : [])],
    create: createNodeRegistry,
    replace: (registry, entries) => registry.replace(entries),
    reloadIntervalMs: config.auth.reloadIntervalMs,
    logger,
    reloaded: (registry) => logger.info({ file, nodes: registry.nodeCount }, 'ingest_auth_reloaded'),
    failedEvent: 'ingest_auth_reload_failed',
  });
  if (watched.registry.nodeCount === 0) logger.warn({ file }, 'ingest_no_nodes_configured');
  return watched;
}

function readTls(tls: NonNullable<CloudConfig['http']['tls']>): HttpTls {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
    requestClientCert: tls.requestClientCert,
  };
}
