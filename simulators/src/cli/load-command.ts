/** `fleetwire loadgen`: fixed-rate MQTT load against the edge or Mosquitto, with a summary. */
import { parseArgs } from 'node:util';
import { SimulatorError } from '../errors.js';
import type { LoadOptions } from '../loadgen/load-options.js';
import { runLoad } from '../loadgen/run-load.js';
import { parseDuration, parseInteger, parseNumber } from './args.js';

const USAGE = `Usage: fleetwire loadgen --url <mqtt-url> [options]

Publishes valid vehicle telemetry from many MQTT clients at a fixed total rate and reports the
achieved rate and acknowledgement latency. Progress on stderr (~1/s); the summary as JSON on stdout.

Options:
  --url <url>              broker, e.g. mqtt://127.0.0.1:1883 (required)
  --clients <n>            concurrent clients, one connection each (default 10)
  --rate <n|max>           total publishes per second; max = as fast as acks allow (default 1000)
  --qos <0|1|2>            (default 1)
  --payload-bytes <n>      payload size, valid JSON padded with whitespace (default 512)
  --duration <time>        how long to send: 30s, 5m (default 10s)
  --count <n>              stop after this many publishes instead
  --id-prefix <prefix>     client ids and usernames are {prefix}-0001… (default LG)
  --username <name>        one username for every client instead
  --password <password>    one password for every client (env FLEETWIRE_LOADGEN_PASSWORD)
  --fleet-secret <secret>  derive each client's password as simulated devices do (env FLEETWIRE_FLEET_SECRET)
  --max-in-flight <n>      unacknowledged publishes per client (default 100)
  --drain <time>           wait for outstanding acks after sending (default 10s)
  -h, --help               this text`;

const OPTIONS = {
  url: { type: 'string' },
  clients: { type: 'string' },
  rate: { type: 'string' },
  qos: { type: 'string' },
  'payload-bytes': { type: 'string' },
  duration: { type: 'string' },
  count: { type: 'string' },
  'id-prefix': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'fleet-secret': { type: 'string' },
  'max-in-flight': { type: 'string' },
  drain: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

export async function runLoadCommand(argv: string[]): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true }));
  } catch (error) {
    console.error(`fleetwire loadgen: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const summary = await runLoad(loadOptions(values));
    console.log(JSON.stringify(summary, null, 2));
    return summary.unacked === 0 && summary.errors === 0 ? 0 : 1;
  } catch (error) {
    if (!(error instanceof SimulatorError)) throw error;
    console.error(`fleetwire loadgen: ${error.message}`);
    return error.code === 'FW_SIM_OPTIONS_INVALID' ? 2 : 1;
  }
}

function loadOptions(values: Values): LoadOptions {
  if (!values.url) throw new SimulatorError('FW_SIM_OPTIONS_INVALID', '--url is required');
  const qos = values.qos === undefined ? 1 : parseNumber('qos', values.qos, (n) => n === 0 || n === 1 || n === 2, '0, 1 or 2');
  const password = values.password ?? process.env['FLEETWIRE_LOADGEN_PASSWORD'];
  const fleetSecret = values['fleet-secret'] ?? process.env['FLEETWIRE_FLEET_SECRET'];
  return {
    url: values.url,
    ...(values.clients ? { clients: parseInteger('clients', values.clients, 1) } : {}),
    ...(values.rate ? { rate: values.rate === 'max' ? null : parseNumber('rate', values.rate, (n) => n > 0, 'a number > 0 or max') } : {}),
    qos: qos as 0 | 1 | 2,
    ...(values['payload-bytes'] ? { payloadBytes: parseInteger('payload-bytes', values['payload-bytes'], 1) } : {}),
    ...(values.duration ? { durationMs: parseDuration('duration', values.duration) } : {}),
    ...(values.count ? { count: parseInteger('count', values.count, 1) } : {}),
    ...(values['id-prefix'] ? { idPrefix: values['id-prefix'] } : {}),
    ...(values.username ? { username: values.username } : {}),
    ...(password ? { password } : {}),
    ...(fleetSecret ? { fleetSecret } : {}),
    ...(values['max-in-flight'] ? { maxInFlight: parseInteger('max-in-flight', values['max-in-flight'], 1) } : {}),
    ...(values.drain ? { drainMs: parseDuration('drain', values.drain) } : {}),
    progress: process.stderr,
  };
}
