/**
 * `fleetwire demo`: the cloud, the edge agent and a simulated fleet in one process, wired the
 * way they are in production — devices authenticate to the edge's MQTT broker, the edge
 * buffers in SQLite and uplinks batches over HTTP with its node token, the cloud writes them to
 * its bus (embedded durable log, or Kafka) and, when given one, to a time-series DB. At the end
 * of every trip the simulated mobile app uploads return photos to the edge, whose verdicts
 * (ReturnVerified, FraudDetected) travel to the cloud as critical events, where the return saga
 * turns each into a fleet decision and a payment request. The simulated booking and payment
 * services publish the fleet's bookings, and a payment per payment request (delivered to them by
 * the cloud's payment webhook), to the cloud's business events API with client tokens of their own;
 * the booking service also unlocks one booked vehicle remotely through the commands API and
 * prints the outcome (demo-unlock.ts).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveCloudConfig, startCloud, type RunningCloud } from '@fleetwire/cloud';
import { issueReturnToken, loadEdgeConfig, startEdgeAgent, type EdgeAgent } from '@fleetwire/edge';
import type { EventData, EventEnvelope } from '@fleetwire/protocol';
import { createBookingBackend, createFleetSimulation, createMobileApp, servePaymentRequests, type BookingBackend, type FleetSimulation, type MobileApp } from '@fleetwire/simulators';
import type { DemoOptions } from './demo-options.js';
import { DEMO_NODE_ID, demoBusinessClients, ensureDeviceRegistry, ensureReturnKeys, loadOrCreateSecrets, writeDashboardMap, writeReturnAreas } from './demo-secrets.js';
import { createDemoUnlock, type DemoUnlock } from './demo-unlock.js';
import { fetchMetrics, sumMetric } from './metrics-text.js';

export interface RunningDemo {
  readonly urls: Record<string, string>;
  /** A one-line summary of what has flowed so far. */
  status(): Promise<string>;
  stop(): Promise<void>;
}

export async function startDemo(options: DemoOptions, say: (line: string) => void): Promise<RunningDemo> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const secrets = loadOrCreateSecrets(dataDir);
  const returnKeys = await ensureReturnKeys(dataDir);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    // Last started, first stopped; one failing step must not keep the others from stopping.
    for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) {
      await stop().catch((error: unknown) => say(`a stop step failed: ${(error as Error).message}`));
    }
  };

  try {
    // The fleet is created first (its city's sites go on the dashboard's map); the booking backend
    // needs the cloud's address and the app the edge's, so its events reach them once they exist.
    const wired: { app?: MobileApp; backend?: BookingBackend; unlock?: DemoUnlock } = {};
    const onTripEnded = (event: EventEnvelope): void => {
      if (event.type !== 'TripEnded') return;
      const trip = event.data as EventData['TripEnded'];
      wired.app?.returnVehicle({ tripId: trip.tripId, bookingId: trip.bookingId, vehicleId: trip.vehicleId, endPosition: trip.endPosition });
    };
    const fleet: FleetSimulation = createFleetSimulation({
      onDeviceEvent: onTripEnded,
      onBackendEvent: (event) => {
        wired.backend?.onBackendEvent(event);
        if (event.type === 'VehicleBooked') wired.unlock?.onBooked(event);
      },
      mqttUrl: `mqtt://127.0.0.1:${options.edgeMqttPort}`,
      vehicles: options.vehicles,
      chargers: options.chargers,
      seed: options.seed,
      speed: options.speed,
      fleetSecret: secrets.fleetSecret,
    });
    // The payment service's door exists before the cloud, whose payment webhook is told where it is.
    const payments = await servePaymentRequests({ onRequest: (event) => wired.backend?.onPaymentRequested(event) });
    stops.push(() => payments.close());
    say(`starting cloud ingest (${options.kafkaBrokers.length > 0 ? `Kafka ${options.kafkaBrokers.join(',')}` : 'embedded log'}${options.tsdbUrl ? `, time-series DB ${options.tsdbUrl}` : ''})`);
    const cloud: RunningCloud = await startCloud(
      resolveCloudConfig({
        dataDir: join(dataDir, 'cloud'),
        logLevel: options.logLevel,
        http: { host: '127.0.0.1', port: options.cloudPort },
        bus: options.kafkaBrokers.length > 0 ? { kind: 'kafka', brokers: options.kafkaBrokers } : { kind: 'embedded' },
        ...(options.tsdbUrl
          ? { tsdb: { url: options.tsdbUrl, org: options.tsdbOrg, bucket: options.tsdbBucket, ...(options.tsdbToken ? { token: options.tsdbToken } : {}) } }
          : {}),
        auth: { nodes: [{ id: DEMO_NODE_ID, devices: ['VH-*', 'CH-*'], tokens: [secrets.tokenEntry] }] },
        businessEvents: { clients: demoBusinessClients(secrets) },
        returns: { payment: { webhookUrl: payments.url } },
        dashboard: { mapFile: writeDashboardMap(dataDir, fleet.model.world.city.sites) },
      }),
    );
    stops.push(() => cloud.stop());

    const backend = createBookingBackend({
      cloudUrl: cloud.address,
      bookingToken: secrets.businessClients.booking.token,
      paymentToken: secrets.businessClients.payment.token,
      seed: options.seed,
      onRefused: (eventId, status, body) => say(`the cloud refused business event ${eventId}: ${status} ${body}`),
    });
    wired.backend = backend;
    // Bookings and payments handed over before the stop reach the cloud (bounded: a stop must not hang).
    stops.push(async () => {
      await Promise.race([backend.idle(), new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())]);
      backend.stop();
    });

    say(`preparing credentials for ${options.vehicles} vehicles and ${options.chargers} chargers`);
    const registryFile = await ensureDeviceRegistry(dataDir, fleet.credentials());

    say('starting edge agent');
    const edge: EdgeAgent = await startEdgeAgent(
      loadEdgeConfig({
        overrides: {
          nodeId: DEMO_NODE_ID,
          dataDir: join(dataDir, 'edge'),
          logLevel: options.logLevel,
          cloud: { url: cloud.address, token: secrets.nodeToken },
          devices: { registryFile },
          vision: { enabled: true, returnTokenKeysFile: returnKeys.keysFile, returnAreasFile: writeReturnAreas(dataDir, fleet.model.world.city.sites) },
          mqtt: { host: '127.0.0.1', port: options.edgeMqttPort },
          http: { host: '127.0.0.1', port: options.edgeHttpPort },
          photoApi: { host: '127.0.0.1', port: options.edgePhotoPort },
        },
      }),
    );
    stops.push(() => edge.stop());
    const edgeHttp = edge.addresses.http ?? `http://127.0.0.1:${options.edgeHttpPort}`;
    const edgePhotos = edge.addresses.photos ?? `http://127.0.0.1:${options.edgePhotoPort}`;
    const app = createMobileApp({ edgeUrl: edgePhotos, seed: options.seed, returnToken: (claims) => issueReturnToken(returnKeys.signingKey, claims) });
    wired.app = app;
    // Returns under way get their verdicts before the edge stops (bounded: a stop must not hang).
    stops.push(() => Promise.race([app.idle(), new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())]));

    const unlock = createDemoUnlock({ cloudUrl: cloud.address, token: secrets.businessClients.booking.token, delivered: () => backend.idle(), say });
    wired.unlock = unlock;
    stops.push(async () => unlock.stop());

    say('connecting the simulated fleet');
    await fleet.start();
    stops.push(() => fleet.stop({ drainMs: 2_000 }));

    const urls: Record<string, string> = {
      'edge MQTT (devices)': edge.addresses.mqtt ?? `mqtt://127.0.0.1:${options.edgeMqttPort}`,
      'edge health': `${edgeHttp}/readyz`,
      'edge metrics': `${edgeHttp}/metrics`,
      'edge return photos (mobile app)': `${edgePhotos}/v1/returns/{returnId}/photos`,
      'cloud ingest API': `${cloud.address}/v1/batches`,
      'cloud business events API (booking, payment)': `${cloud.address}/v1/events`,
      'cloud commands API (booking)': `${cloud.address}/v1/commands`,
      'cloud health': `${cloud.address}/readyz`,
      'cloud metrics': `${cloud.address}/metrics`,
      'fleet dashboard': `${cloud.address}/dashboard`,
      'fleet API': `${cloud.address}/v1/fleet/summary`,
      'return sagas API': `${cloud.address}/v1/returns`,
    };
    return {
      urls,
      async status() {
        const [edgeText, cloudText] = await Promise.all([fetchMetrics(urls['edge metrics']!), fetchMetrics(urls['cloud metrics']!)]);
        const sim = fleet.stats();
        const returns = app.stats().outcomes;
        const business = backend.stats();
        return [
          `devices ${sim.connected}/${sim.devices}`,
          `published ${sim.published} (PUBACKed ${sim.acked})`,
          `edge committed ${sumMetric(edgeText, 'fleetwire_intake_messages_total')}, quarantined ${sumMetric(edgeText, 'fleetwire_buffer_quarantined_records')}, backlog ${sumMetric(edgeText, 'fleetwire_buffer_backlog_records')}`,
          `bookings ${business.booking.accepted}, payments ${business.payment.accepted} (declined ${business.declined})`,
          `returns verified ${sumMetric(edgeText, 'fleetwire_vision_returns_total')} (accepted ${returns.accepted}, review ${returns.review}, rejected ${returns.rejected})`,
          `return sagas open ${['awaiting_trip', 'awaiting_verdict', 'awaiting_payment'].reduce((sum, state) => sum + sumMetric(cloudText, 'fleetwire_returns_sagas', { state }), 0)}, closed ${['completed', 'payment_failed', 'payment_timed_out'].reduce((sum, state) => sum + sumMetric(cloudText, 'fleetwire_returns_sagas', { state }), 0)}`,
          `cloud accepted ${sumMetric(cloudText, 'fleetwire_ingest_records_total', { outcome: 'accepted' })}, dead-lettered ${sumMetric(cloudText, 'fleetwire_ingest_records_total', { outcome: 'rejected' })}`,
        ].join(' | ');
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
