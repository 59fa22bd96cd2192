/**
 * The OCPP-J 1.6 central system: an intake source beside the MQTT broker. Chargers connect over
 * WebSocket with the `ocpp1.6` subprotocol to `{path}/{chargerId}` (ws, and wss when TLS is on),
 * authenticated by HTTP basic auth against the device registry (username = charge point id,
 * the same password hash as for MQTT; security profiles 1 and 2). Each call is translated
 * (translate.ts) into the messages the charger would have published on its MQTT topics and goes
 * through the same durable pipeline; the CALLRESULT is returned only after the pipeline
 * resolved, i.e. after the commit — a charger that loses its connection before the answer
 * re-sends, and the content-derived ids make the copy a duplicate.
 *
 * Remote commands to the charger (RemoteStart/StopTransaction, Reset, UnlockConnector) wait for
 * cloud commands, which do not exist yet; this endpoint only answers calls from chargers.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { DeviceIdentity } from '@fleetwire/protocol';
import { RPCServer, createRPCError } from 'ocpp-rpc';
import type { Logger } from 'pino';
import { EdgeError } from '../../errors.js';
import { createRepeatedLog } from '../../logging/repeated-log.js';
import type { LoginGuard } from '../auth/login-guard.js';
import type { DeviceRegistry } from '../auth/device-registry.js';
import type { IntakeOutcome, IntakePipeline, IntakeSource } from '../intake.js';
import type { IntakeMetrics } from '../metrics.js';
import type { OcppOptions } from './options.js';
import { badFrameReason } from './refusals.js';
import { createTransactionStore } from './transactions.js';
import { meterValues, startTransaction, statusNotification, stopTransaction, type DeviceReading, type MeterValue } from './translate.js';

/** The OCPP CALLERROR a handler throws; ocpp-rpc builds an Error subclass but types it as a record. */
function rpcError(type: string, message: string): Error {
  return createRPCError(type, message) as unknown as Error;
}

export interface CentralSystemOptions {
  options: OcppOptions;
  /** Read at every connection: a registry reloaded in place takes effect for the next one. */
  registry: () => DeviceRegistry;
  /** The same login guard as the broker's: one budget per source and device id across both. */
  logins: LoginGuard;
  pipeline: IntakePipeline;
  metrics: IntakeMetrics;
  logger: Logger;
  dataDir: string;
}

export interface CentralSystem extends IntakeSource {
  /** Closes the connections of chargers no longer in the registry (or whose entry changed). */
  disconnect(keep: (identity: DeviceIdentity) => boolean): number;
}

/** What this module uses of ocpp-rpc's server-side client. */
interface Client {
  readonly session: Record<string, unknown>;
  handle(method: string, handler: (call: { params?: Params }) => Promise<Record<string, unknown>>): void;
  close(options?: { code?: number; reason?: string }): Promise<unknown>;
  once(event: 'close', listener: () => void): unknown;
  on(event: 'badMessage', listener: (event: { buffer: Buffer }) => void): unknown;
  on(event: 'strictValidationFailure', listener: (event: { method: string; outbound: boolean }) => void): unknown;
}
type Params = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- ocpp-rpc's own type; strictMode has validated them against the OCPP 1.6 schemas

export function createCentralSystem(deps: CentralSystemOptions): CentralSystem {
  const { options, pipeline, metrics } = deps;
  const logger = deps.logger.child({ stage: 'ocpp' });
  const rpc = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true, pingIntervalMs: 30_000 });
  const clients = new Map<string, { client: Client; identity: DeviceIdentity }>();
  const servers: Array<{ role: string; server: Server }> = [];
  const transactions = createTransactionStore(join(deps.dataDir, 'ocpp.sqlite'));
  let accepting = false;
  const frameRefusals = createRepeatedLog(logger, { event: 'ocpp_frame_refused', level: 'info' });

  rpc.auth((accept, reject, handshake) => {
    if (!accepting || handshake.endpoint !== options.path) return reject(404, 'not found');
    const identity = handshake.identity;
    Promise.resolve()
      .then(() => deps.logins.authenticate(deps.registry(), { clientId: identity, username: identity, password: handshake.password }, handshake.remoteAddress ?? 'unknown'))
      .then(
        (decision) => {
          if (decision.ok && decision.identity.kind === 'charger') return accept({ identity: decision.identity });
          const reason = decision.ok ? 'not_a_charger' : decision.reason;
          metrics.authRefused.inc({ reason });
          logger.info({ event: 'ocpp_charger_refused', identity, reason }, 'ocpp_charger_refused');
          reject(401, 'unauthorized');
        },
        (cause: unknown) => {
          logger.error({ event: 'ocpp_authenticate_failed', err: cause }, 'ocpp_authenticate_failed');
          reject(500, 'authentication failed');
        },
      );
  });

  rpc.on('client', (client: Client) => {
    const identity = (client.session as { identity: DeviceIdentity }).identity;
    const chargerId = identity.deviceId;
    clients.get(chargerId)?.client.close({ code: 1000, reason: 'replaced by a new connection' }).catch(() => undefined);
    clients.set(chargerId, { client, identity });
    metrics.connectedDevices.inc();
    logger.info({ event: 'ocpp_charger_connected', chargerId }, 'ocpp_charger_connected');
    // ocpp-rpc answers a bad frame with a CALLERROR and keeps the connection; counted here.
    client.on('badMessage', ({ buffer }) => {
      const reason = badFrameReason(buffer);
      metrics.rejected.inc({ reason });
      frameRefusals.note(`${chargerId}:${reason}`, { chargerId, reason });
    });
    client.on('strictValidationFailure', ({ method, outbound }) => {
      if (outbound) return;
      metrics.rejected.inc({ reason: 'schema_violation' });
      frameRefusals.note(`${chargerId}:schema_violation`, { chargerId, reason: 'schema_violation', method });
    });
    client.once('close', () => {
      metrics.connectedDevices.dec();
      if (clients.get(chargerId)?.client === client) clients.delete(chargerId);
      logger.info({ event: 'ocpp_charger_disconnected', chargerId }, 'ocpp_charger_disconnected');
    });

    /** Commits what a call says; resolves once committed (or quarantined), rejects with a CALLERROR otherwise. */
    const commit = async (readings: DeviceReading[]): Promise<void> => {
      for (const reading of readings) {
        let outcome: IntakeOutcome;
        try {
          outcome = await pipeline.accept({
            topic: `fleetwire/v1/charger/${chargerId}/${reading.channel}`,
            bytes: Buffer.from(JSON.stringify(reading.payload)),
            identity,
            receivedAt: Date.now(),
          });
        } catch (cause) {
          logger.error({ event: 'ocpp_commit_failed', chargerId, err: cause }, 'ocpp_commit_failed');
          throw rpcError('InternalError', 'not committed; send it again later');
        }
        if (outcome.status === 'refused') throw rpcError('SecurityError', outcome.reason);
      }
    };
    const authorization = (idTag: string) => ({ status: authorize(options, idTag) });

    client.handle('BootNotification', async () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: options.heartbeatIntervalS }));
    client.handle('Heartbeat', async () => ({ currentTime: new Date().toISOString() }));
    client.handle('Authorize', async ({ params }: { params?: Params }) => ({ idTagInfo: authorization((params as { idTag: string }).idTag) }));
    client.handle('StatusNotification', async ({ params }: { params?: Params }) => {
      await commit([statusNotification(chargerId, params as Parameters<typeof statusNotification>[1], Date.now())]);
      return {};
    });
    client.handle('MeterValues', async ({ params }: { params?: Params }) => {
      const reading = meterValues(params as { connectorId: number; transactionId?: number; meterValue: MeterValue[] });
      await commit(reading === undefined ? [] : [reading]);
      return {};
    });
    client.handle('StartTransaction', async ({ params }: { params?: Params }) => {
      const start = startTransaction(chargerId, params as Parameters<typeof startTransaction>[1], options.idTagKey);
      await commit([start.reading]);
      transactions.open(chargerId, start.transaction);
      return { transactionId: start.transaction.transactionId, idTagInfo: authorization((params as { idTag: string }).idTag) };
    });
    client.handle('StopTransaction', async ({ params }: { params?: Params }) => {
      const stop = params as { transactionId: number; meterStop: number; timestamp: string; reason?: string; idTag?: string; transactionData?: MeterValue[] };
      const open = transactions.get(chargerId, stop.transactionId);
      const data = stop.transactionData === undefined ? undefined : meterValues({ connectorId: open?.connectorId ?? 0, transactionId: stop.transactionId, meterValue: stop.transactionData });
      // An unknown transaction (started before this node served the charger, or already stopped
      // and this is a re-send) is acknowledged: its meter values are kept, no session event is invented.
      if (open === undefined) logger.warn({ event: 'ocpp_unknown_transaction', chargerId, transactionId: stop.transactionId }, 'ocpp_unknown_transaction');
      await commit([...(data === undefined ? [] : [data]), ...(open === undefined ? [] : [stopTransaction(chargerId, stop, open)])]);
      if (open !== undefined) transactions.close(chargerId, stop.transactionId);
      return stop.idTag === undefined ? {} : { idTagInfo: authorization(stop.idTag) };
    });
  });

  async function listen(role: string, server: Server, port: number): Promise<void> {
    const upgrade = rpc.handleUpgrade;
    server.on('upgrade', (request, socket, head) => {
      upgrade(request, socket as Socket, head).catch((cause: unknown) => logger.warn({ event: 'ocpp_upgrade_failed', err: cause }, 'ocpp_upgrade_failed'));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause) => reject(new EdgeError('FW_INTAKE_LISTEN_FAILED', `ocpp ${role} listener on ${options.host}:${port}: ${cause.message}`, { cause })));
      server.listen(port, options.host, () => resolve());
    });
    servers.push({ role, server });
  }

  return {
    name: 'ocpp',
    async start() {
      accepting = true;
      await listen('ocpp', createHttpServer(), options.port);
      if (options.tls.enabled) {
        const tls = { key: readFileSync(options.tls.keyFile), cert: readFileSync(options.tls.certFile), minVersion: 'TLSv1.2' as const };
        await listen('ocppTls', createHttpsServer(tls), options.tls.port);
      }
    },
    async stop() {
      accepting = false;
      await rpc.close({ code: 1001, reason: 'edge agent stopping', awaitPending: true, force: false }).catch(() => undefined);
      for (const { server } of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
      transactions.shutdown();
    },
    ready: () => accepting && servers.length > 0,
    addresses() {
      return Object.fromEntries(servers.map(({ role, server }) => [role, `${role === 'ocpp' ? 'ws' : 'wss'}://${options.host}:${(server.address() as AddressInfo).port}${options.path}`]));
    },
    disconnect(keep) {
      let closed = 0;
      for (const { client, identity } of clients.values()) {
        if (keep(identity)) continue;
        closed += 1;
        client.close({ code: 1008, reason: 'revoked' }).catch(() => undefined);
      }
      return closed;
    },
  };
}

function authorize(options: OcppOptions, idTag: string): 'Accepted' | 'Invalid' {
  switch (options.authorize.policy) {
    case 'accept':
      return 'Accepted';
    case 'reject':
      return 'Invalid';
    case 'list':
      return options.authorize.idTags.includes(idTag) ? 'Accepted' : 'Invalid';
  }
}
