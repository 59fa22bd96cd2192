/**
 * Most of a day of a simulated fleet through the real edge and cloud in about a minute, for the
 * fleet-day tests on the embedded bus and on Kafka: device clocks run on simulated time over
 * 22¾ hours that cross a UTC midnight at a fixed time of day, and the cloud's analytics closes
 * that day. The booking and payment backend publishes through the business events API; the
 * mobile app returns every trip with photos; the return sagas run to their close.
 *
 * The simulated stretch always runs from 14:00 to 12:45 the next day (UTC), whatever the wall
 * clock says: the model then makes the same bookings in every run (only its ambient temperature
 * depends on the time, and only on the time of day), and a demand surge at one site in the
 * morning after the midnight leaves hours to close its windows. That stretch lies up to two days
 * behind the wall clock, so the edge trusts device clocks that far off.
 *
 * Analytics is configured so that one day of booking history is enough (`spikeWarmupDays: 1`):
 * every site books on the first evening, so on the second morning its windows are judged, and
 * the surge is the only window that can reach the default five bookings at twice the baseline.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueClientToken, issueToken, resolveCloudConfig, startCloud, type RunningCloud } from '@fleetwire/cloud';
import { generateReturnKeyPair, issueReturnToken, loadEdgeConfig, startEdgeAgent, type EdgeAgent } from '@fleetwire/edge';
import { DAY_MS, HOUR_MS, type EventData, type EventEnvelope } from '@fleetwire/protocol';
import { createBookingBackend, createFleetSimulation, createMobileApp, servePaymentRequests, type BookingBackend, type DemandSurge } from '@fleetwire/simulators';
import { ensureDeviceRegistry, writeReturnAreas } from '../../src/demo/demo-secrets.js';
import { fetchMetrics, sumMetric } from '../../src/demo/metrics-text.js';
import { freePort } from './waiting.js';

/** Simulated hours before and after the midnight the run crosses. */
const BEFORE_MIDNIGHT_MS = 10 * HOUR_MS;
const AFTER_MIDNIGHT_MS = 12.75 * HOUR_MS;
export const SIMULATED_MS = BEFORE_MIDNIGHT_MS + AFTER_MIDNIGHT_MS;
const RUN_MS = 75_000;
/** The surge: site-02, 05:00–08:00 after the midnight, bookings there 30 times as likely. */
const SURGE = { siteId: 'site-02', fromMs: 5 * HOUR_MS, toMs: 8 * HOUR_MS, factor: 30 };

export interface FleetDayOptions {
  /** Scratch directory: the cloud's and the edge's data. */
  dir: string;
  /** The cloud config's `bus` section; default the embedded log under `{dir}/cloud`. */
  bus?: Record<string, unknown>;
}

export interface FleetDay {
  /** The UTC midnight the run crossed: the end of the day analytics closed. */
  midnight: number;
  surge: DemandSurge;
  backend: BookingBackend;
}

/**
 * The latest midnight whose stretch ends two minutes before `now`: the run then starts
 * `BEFORE_MIDNIGHT_MS` before it, at most 1 day + `SIMULATED_MS` + 2 min ago.
 */
export function midnightToCross(now: number): number {
  return Math.floor((now - 2 * 60_000 - AFTER_MIDNIGHT_MS) / DAY_MS) * DAY_MS;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the day and stops everything again (also when it fails); the bus keeps what was said. */
export async function runFleetDay(options: FleetDayOptions): Promise<FleetDay> {
  const { dir } = options;
  const stops: Array<() => Promise<void>> = [];
  const midnight = midnightToCross(Date.now());
  const startTime = midnight - BEFORE_MIDNIGHT_MS;
  const surge: DemandSurge = { siteId: SURGE.siteId, from: midnight + SURGE.fromMs, to: midnight + SURGE.toMs, factor: SURGE.factor };
  try {
    const node = issueToken('day-edge');
    const booking = issueClientToken('booking');
    const payment = issueClientToken('payment');
    const holder: { backend?: BookingBackend; app?: ReturnType<typeof createMobileApp> } = {};
    const payments = await servePaymentRequests({ onRequest: (event) => holder.backend?.onPaymentRequested(event) });
    stops.push(() => payments.close());
    const cloud: RunningCloud = await startCloud(
      resolveCloudConfig({
        dataDir: join(dir, 'cloud'),
        logLevel: 'warn',
        http: { host: '127.0.0.1', port: 0 },
        ...(options.bus === undefined ? {} : { bus: options.bus }),
        auth: { nodes: [{ id: 'day-edge', devices: ['VH-*', 'CH-*'], tokens: [node.entry] }] },
        businessEvents: {
          clients: [
            { id: 'booking', eventTypes: ['VehicleBooked', 'BookingCancelled'], tokens: [booking.entry] },
            { id: 'payment', eventTypes: ['PaymentProcessed'], tokens: [payment.entry] },
          ],
        },
        // A booking window closes two simulated hours (6.6 s of this run) after its end: on a
        // busy machine the business events API carries a booking seconds after the edge carried
        // device events of later simulated hours, and half an hour was seen to leave 3 of 10 late.
        analytics: { dailyLatenessMs: 0, idlePartitionMs: 2_000, snapshotIntervalMs: 5_000, spikeWarmupDays: 1, spikeLatenessMs: 2 * HOUR_MS },
        returns: { tickIntervalMs: 200, payment: { webhookUrl: payments.url } },
      }),
    );
    stops.push(() => cloud.stop());

    const backend = createBookingBackend({ cloudUrl: cloud.address, bookingToken: booking.token, paymentToken: payment.token, seed: 11, failureShare: 0.1 });
    holder.backend = backend;
    const bookingKeys = await generateReturnKeyPair('fleet-day');
    const returnTokenKeysFile = join(dir, 'return-token-keys.json');
    writeFileSync(returnTokenKeysFile, JSON.stringify({ keys: [bookingKeys.publicKey] }));
    const mqttPort = await freePort();
    const fleet = createFleetSimulation({
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      vehicles: 8,
      chargers: 2,
      seed: 11,
      speed: SIMULATED_MS / RUN_MS,
      startTime,
      timestamps: 'simulated',
      settings: { bookingsPerHour: 0.5, telemetryIntervalMs: 120_000, parkedTelemetryIntervalMs: 600_000, chargerTelemetryIntervalMs: 600_000, degradationScale: 300, demandSurge: surge },
      onBackendEvent: (event) => backend.onBackendEvent(event),
      onDeviceEvent: (event: EventEnvelope) => {
        if (event.type !== 'TripEnded') return;
        const trip = event.data as EventData['TripEnded'];
        holder.app?.returnVehicle({ tripId: trip.tripId, bookingId: trip.bookingId, vehicleId: trip.vehicleId, endPosition: trip.endPosition });
      },
    });
    const edge: EdgeAgent = await startEdgeAgent(
      loadEdgeConfig({
        overrides: {
          nodeId: 'day-edge',
          dataDir: join(dir, 'edge'),
          logLevel: 'warn',
          cloud: { url: cloud.address, token: node.token },
          devices: { registryFile: await ensureDeviceRegistry(dir, fleet.credentials()) },
          intake: { maxClockSkewMs: 2 * DAY_MS },
          rules: { batteryLow: { thresholdPct: 99, hysteresisPct: 50 } },
          vision: { enabled: true, returnTokenKeysFile, returnAreasFile: writeReturnAreas(dir, fleet.model.world.city.sites) },
          mqtt: { host: '127.0.0.1', port: mqttPort },
          http: { host: '127.0.0.1', port: await freePort() },
          photoApi: { host: '127.0.0.1', port: 0 },
        },
      }),
    );
    stops.push(() => edge.stop());
    const app = createMobileApp({ edgeUrl: edge.addresses.photos!, seed: 11, rates: { damage: 0.2, fraud: 0.3 }, returnToken: (claims) => issueReturnToken(bookingKeys.privateKey, claims) });
    holder.app = app;

    await fleet.start();
    await sleep(RUN_MS);
    await fleet.stop({ drainMs: 5_000 });
    await Promise.race([app.idle(), sleep(30_000)]);
    await backend.idle();
    // The edge forwards what it holds; then analytics gets a few idle seconds to close the day.
    const edgeMetrics = `${edge.addresses.http!}/metrics`;
    for (let waited = 0; waited < 30_000 && sumMetric(await fetchMetrics(edgeMetrics), 'fleetwire_buffer_backlog_records') > 0; waited += 500) await sleep(500);
    // Each verdict's saga asks the payment service, which answers through the business events API
    // (the demand surge returns a few dozen vehicles within seconds: on a busy machine the last
    // payments take a while).
    const { accepted, review, rejected } = app.stats().outcomes;
    for (let waited = 0; waited < 60_000 && (await closedWithVerdict(cloud.address)) < accepted + review + rejected; waited += 500) await sleep(500);
    await backend.idle();
    await sleep(8_000);
    return { midnight, surge, backend };
  } finally {
    for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) await stop();
  }
}

/** Return sagas that had a verdict and are closed. */
async function closedWithVerdict(address: string): Promise<number> {
  const answer = (await (await fetch(`${address}/v1/returns`)).json()) as { returns: Array<{ state: string; verdict: unknown }> };
  return answer.returns.filter((r) => r.verdict !== null && !r.state.startsWith('awaiting')).length;
}
