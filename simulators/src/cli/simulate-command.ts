/** `fleetwire simulate`: a simulated fleet publishing to a broker until Ctrl-C or --duration. */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createBookingBackend, type BookingBackend } from '../backend/booking-backend.js';
import { servePaymentRequests } from '../backend/payment-requests.js';
import { SimulatorError } from '../errors.js';
import type { DeviceCredential } from '../fleet/credentials.js';
import type { FleetSimulationOptions, SimulationLogger } from '../fleet/fleet-options.js';
import { createFleetSimulation, type FleetSimulation } from '../fleet/fleet-simulation.js';
import type { WorldSettings } from '../world/settings.js';
import { parseDuration, parseInteger, parseLatLon, parseNumber } from './args.js';

const USAGE = `Usage: fleetwire simulate [options]

A synthetic city with vehicles and chargers, each its own MQTT client (username = device id),
publishing telemetry and events QoS 1 to fleetwire/v1/{kind}/{id}/telemetry|events.

Options:
  --mqtt <url>                   broker (default mqtt://127.0.0.1:1883)
  --vehicles <n>                 vehicles (default 10)
  --chargers <n>                 chargers (default 2)
  --seed <n>                     everything the fleet does follows from it (default 1)
  --speed <x>                    simulated seconds per real second (default 1)
  --duration <time>              stop after this much real time: 90s, 10m, 1h (default: until Ctrl-C)
  --faults <list>                deliberate faults, comma-separated, each optionally =rate:
                                 all, drops (per device per sim hour), skew (share of devices),
                                 dupes, reorder, malformed, impossible, impersonate (per message)
  --fleet-secret <secret>        device passwords derive from it (env FLEETWIRE_FLEET_SECRET)
  --credentials <file>           JSON [{ "id", "kind", "username", "password" }] overriding derived ones
  --write-credentials <file>     write every device's credentials (JSON, mode 600) and exit
  --ledger <file>                write the publish ledger (JSON lines) when stopping
  --ground-truth <file>          write the wear ground truth (JSON) when stopping
  --timestamps <wall|simulated>  clock devices stamp with (default wall)
  --centre <lat,lon>             city centre (default 52.52,13.405)
  --sites <n>                    parking / return sites (default 4)
  --telemetry-interval <time>    driving vehicle telemetry interval, simulated (default 5s)
  --bookings-per-hour <x>        per idle vehicle (default 1.5)
  --charger-faults-per-hour <x>  per connector (default 0.05)
  --degradation-scale <x>        speeds up wear: capacity fade, tyre leaks, 12 V (default 1)
  --cloud <url>                  run the booking and payment services too: publish the fleet's
                                 bookings, and a payment per payment request of the cloud's return
                                 saga, to this cloud's POST /v1/events, with the tokens of clients
                                 'booking' and 'payment':
  --booking-token <token>          (env FLEETWIRE_BOOKING_TOKEN)
  --payment-token <token>          (env FLEETWIRE_PAYMENT_TOKEN)
  --payments-port <port>           where payment requests are taken (POST /payment-requests on
                                   127.0.0.1, the cloud's returns.payment.webhookUrl; default 8090)
  --sparse <share>               share of devices (0–1) that report sparse and on change: no tyre
                                 or 12 V sensors, only what moved, a firmware field (default 0)
  -h, --help                     this text

See docs/simulators.md.`;

const OPTIONS = {
  mqtt: { type: 'string' },
  vehicles: { type: 'string' },
  chargers: { type: 'string' },
  seed: { type: 'string' },
  speed: { type: 'string' },
  duration: { type: 'string' },
  faults: { type: 'string' },
  'fleet-secret': { type: 'string' },
  credentials: { type: 'string' },
  'write-credentials': { type: 'string' },
  ledger: { type: 'string' },
  'ground-truth': { type: 'string' },
  timestamps: { type: 'string' },
  centre: { type: 'string' },
  sites: { type: 'string' },
  'telemetry-interval': { type: 'string' },
  'bookings-per-hour': { type: 'string' },
  'charger-faults-per-hour': { type: 'string' },
  'degradation-scale': { type: 'string' },
  cloud: { type: 'string' },
  'booking-token': { type: 'string' },
  'payment-token': { type: 'string' },
  'payments-port': { type: 'string' },
  sparse: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

export async function runSimulateCommand(argv: string[]): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true }));
  } catch (error) {
    console.error(`fleetwire simulate: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let simulation: FleetSimulation;
  let durationMs: number | undefined;
  let backend: BookingBackend | undefined;
  let paymentsPort = 8090;
  try {
    backend = bookingBackend(values);
    if (values['payments-port'] !== undefined) paymentsPort = parseInteger('payments-port', values['payments-port']);
    simulation = createFleetSimulation({
      ...(await simulationOptions(values)),
      ...(backend === undefined ? {} : { onBackendEvent: backend.onBackendEvent }),
    });
    durationMs = values.duration === undefined ? undefined : parseDuration('duration', values.duration);
  } catch (error) {
    if (!(error instanceof SimulatorError)) throw error;
    console.error(`fleetwire simulate: ${error.message}`);
    return 2;
  }
  if (values['write-credentials']) {
    await writeFile(values['write-credentials'], `${JSON.stringify(simulation.credentials(), null, 2)}\n`, { mode: 0o600 });
    console.error(`fleetwire simulate: wrote ${simulation.credentials().length} device credentials to ${values['write-credentials']}`);
    return 0;
  }
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    if (durationMs !== undefined) setTimeout(() => resolve('duration'), durationMs).unref();
  });
  const payments = backend === undefined ? undefined : await servePaymentRequests({ port: paymentsPort, onRequest: backend.onPaymentRequested });
  if (payments !== undefined) console.error(`fleetwire simulate: payment requests taken at ${payments.url}`);
  try {
    await Promise.race([simulation.start(), stopSignal.then(() => undefined)]);
  } catch (error) {
    await simulation.stop({ drainMs: 0 });
    await payments?.close();
    if (!(error instanceof SimulatorError)) throw error;
    console.error(`fleetwire simulate: ${error.message}`);
    return 1;
  }
  const status = setInterval(() => {
    const s = simulation.stats();
    console.error(`simulate  sim ${new Date(s.simTime).toISOString()}  connected ${s.connected}/${s.devices}  published ${s.published}  acked ${s.acked}  backlog ${s.backlog}`);
  }, 10_000);
  const reason = await stopSignal;
  clearInterval(status);
  console.error(`fleetwire simulate: stopping (${reason}), sending what is queued`);
  await simulation.stop();
  await payments?.close();
  if (backend !== undefined) {
    // Bookings and payments already handed over reach the cloud, within bounds.
    await Promise.race([backend.idle(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    backend.stop();
    console.error(`fleetwire simulate: booking and payment services ${JSON.stringify(backend.stats())}`);
  }
  if (values.ledger) await simulation.ledger.writeJsonLines(values.ledger);
  if (values['ground-truth']) await writeFile(values['ground-truth'], `${JSON.stringify(simulation.groundTruth(), null, 2)}\n`);
  console.error(`fleetwire simulate: ${JSON.stringify(simulation.ledger.summary())}`);
  return 0;
}

async function simulationOptions(values: Values): Promise<FleetSimulationOptions> {
  const settings: Partial<WorldSettings> = {};
  if (values['telemetry-interval']) settings.telemetryIntervalMs = parseDuration('telemetry-interval', values['telemetry-interval']);
  if (values['bookings-per-hour']) settings.bookingsPerHour = parseNumber('bookings-per-hour', values['bookings-per-hour'], (n) => n >= 0, 'a number ≥ 0');
  if (values['charger-faults-per-hour']) settings.chargerFaultsPerHour = parseNumber('charger-faults-per-hour', values['charger-faults-per-hour'], (n) => n >= 0, 'a number ≥ 0');
  if (values['degradation-scale']) settings.degradationScale = parseNumber('degradation-scale', values['degradation-scale'], (n) => n > 0, 'a number > 0');
  if (values.sparse) settings.sparseShare = parseNumber('sparse', values.sparse, (n) => n >= 0 && n <= 1, 'a share in 0–1');
  const timestamps = values.timestamps;
  if (timestamps !== undefined && timestamps !== 'wall' && timestamps !== 'simulated') {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `--timestamps: expected wall or simulated, got '${timestamps}'`);
  }
  return {
    mqttUrl: values.mqtt ?? 'mqtt://127.0.0.1:1883',
    ...(values.vehicles ? { vehicles: parseInteger('vehicles', values.vehicles) } : {}),
    ...(values.chargers ? { chargers: parseInteger('chargers', values.chargers) } : {}),
    ...(values.seed ? { seed: parseInteger('seed', values.seed) } : {}),
    ...(values.speed ? { speed: parseNumber('speed', values.speed, (n) => n > 0, 'a number > 0') } : {}),
    ...(values.faults ? { faults: values.faults } : {}),
    ...(timestamps ? { timestamps } : {}),
    fleetSecret: values['fleet-secret'] ?? process.env['FLEETWIRE_FLEET_SECRET'] ?? 'fleetwire-dev-secret',
    ...(values.credentials ? { credentials: await readCredentials(values.credentials) } : {}),
    city: {
      ...(values.centre ? { centre: parseLatLon('centre', values.centre) } : {}),
      ...(values.sites ? { sites: parseInteger('sites', values.sites, 1) } : {}),
    },
    settings,
    logger: stderrLogger(),
  };
}

function bookingBackend(values: Values): BookingBackend | undefined {
  if (values.cloud === undefined) return undefined;
  const bookingToken = values['booking-token'] ?? process.env['FLEETWIRE_BOOKING_TOKEN'];
  const paymentToken = values['payment-token'] ?? process.env['FLEETWIRE_PAYMENT_TOKEN'];
  if (bookingToken === undefined || paymentToken === undefined) {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', '--cloud needs --booking-token and --payment-token (fleetwire cloud issue-client-token prints them)');
  }
  if (!URL.canParse(values.cloud)) throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `--cloud: not a URL: ${values.cloud}`);
  return createBookingBackend({
    cloudUrl: values.cloud,
    bookingToken,
    paymentToken,
    ...(values.seed ? { seed: parseInteger('seed', values.seed) } : {}),
    onRefused: (eventId, status, body) => console.error(JSON.stringify({ level: 'warn', time: Date.now(), event: 'business_event_refused', eventId, status, body })),
  });
}

async function readCredentials(file: string): Promise<DeviceCredential[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `--credentials: cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  const ok = Array.isArray(parsed) && parsed.every((c) => typeof c?.id === 'string' && typeof c?.username === 'string' && typeof c?.password === 'string');
  if (!ok) throw new SimulatorError('FW_SIM_OPTIONS_INVALID', `--credentials: ${file} must be a JSON array of { id, username, password }`);
  return parsed as DeviceCredential[];
}

/** Warnings as one JSON line each on stderr; routine info stays quiet. */
function stderrLogger(): SimulationLogger {
  return {
    info: () => undefined,
    warn: (fields) => console.error(JSON.stringify({ level: 'warn', time: Date.now(), ...fields })),
  };
}
