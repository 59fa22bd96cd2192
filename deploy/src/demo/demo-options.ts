/**
 * Options of `fleetwire demo`: a parsed, validated object with documented defaults. The demo
 * runs everything on one machine with embedded defaults; `--kafka` and `--tsdb` point it at
 * real servers instead.
 */
import { parseArgs } from 'node:util';
import { CodedError } from '@fleetwire/protocol';

export interface DemoOptions {
  /** Everything the demo keeps between runs: buffer, embedded bus, secrets. */
  dataDir: string;
  vehicles: number;
  chargers: number;
  seed: number;
  /** Simulated seconds per real second. */
  speed: number;
  /** Kafka bootstrap brokers; the embedded log when empty. */
  kafkaBrokers: string[];
  /** InfluxDB v2 write API base URL (InfluxDB or VictoriaMetrics); no time-series sink when absent. */
  tsdbUrl?: string;
  tsdbOrg: string;
  tsdbBucket: string;
  tsdbToken?: string;
  edgeMqttPort: number;
  edgeHttpPort: number;
  /** The edge's photo API (the mobile app's listener). */
  edgePhotoPort: number;
  cloudPort: number;
  /** Stop by itself after this many seconds; runs until Ctrl-C when absent. */
  durationS?: number;
  logLevel: string;
}

export const DEMO_HELP = `Usage: fleetwire demo [options]

Starts the whole system on this machine: the cloud ingest (embedded durable log, no external
servers), the edge agent (embedded MQTT broker, SQLite buffer, uplink) and a simulated fleet of
vehicles and chargers publishing to it, then prints where to look. Ctrl-C stops everything
cleanly; a second run reuses the data in --data-dir.

Options:
  --data-dir <dir>        where buffer, bus and secrets live (default .fleetwire/demo)
  --vehicles <n>          simulated vehicles (default 50)
  --chargers <n>          simulated chargers (default 10)
  --seed <n>              the fleet's random seed (default 7)
  --speed <x>             simulated seconds per real second (default 10)
  --kafka <brokers>       comma-separated Kafka brokers instead of the embedded log
  --tsdb <url>            InfluxDB v2 write API (InfluxDB, VictoriaMetrics) for the time-series sink
  --tsdb-org <org>        (default fleetwire)
  --tsdb-bucket <bucket>  (default fleetwire)
  --tsdb-token <token>    (env FLEETWIRE_DEMO_TSDB_TOKEN)
  --edge-mqtt-port <n>    edge MQTT listener (default 1883)
  --edge-http-port <n>    edge health and metrics (default 8080)
  --edge-photo-port <n>   edge photo API, the mobile app's (default 8081)
  --cloud-port <n>        cloud ingest API (default 8090)
  --duration <seconds>    stop by itself after this long (default: until Ctrl-C)
  --log-level <level>     edge and cloud logs (default warn)
  -h, --help              this text
`;

/** A demo command line that cannot run (exit 2 with the usage); never worth retrying. */
export class DemoUsageError extends CodedError<'FW_DEMO_USAGE'> {
  constructor(message: string) {
    super('FW_DEMO_USAGE', message);
  }
}

export function parseDemoOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      vehicles: { type: 'string' },
      chargers: { type: 'string' },
      seed: { type: 'string' },
      speed: { type: 'string' },
      kafka: { type: 'string' },
      tsdb: { type: 'string' },
      'tsdb-org': { type: 'string' },
      'tsdb-bucket': { type: 'string' },
      'tsdb-token': { type: 'string' },
      'edge-mqtt-port': { type: 'string' },
      'edge-http-port': { type: 'string' },
      'edge-photo-port': { type: 'string' },
      'cloud-port': { type: 'string' },
      duration: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const tsdbToken = values['tsdb-token'] ?? env.FLEETWIRE_DEMO_TSDB_TOKEN;
  return {
    dataDir: values['data-dir'] ?? '.fleetwire/demo',
    vehicles: integer('--vehicles', values.vehicles, 50, 1, 10_000),
    chargers: integer('--chargers', values.chargers, 10, 0, 1_000),
    seed: integer('--seed', values.seed, 7, 0, 2 ** 31),
    speed: number('--speed', values.speed, 10, 0.1, 1_000),
    kafkaBrokers: (values.kafka ?? '').split(',').map((b) => b.trim()).filter((b) => b !== ''),
    ...(values.tsdb ? { tsdbUrl: values.tsdb } : {}),
    tsdbOrg: values['tsdb-org'] ?? 'fleetwire',
    tsdbBucket: values['tsdb-bucket'] ?? 'fleetwire',
    ...(tsdbToken ? { tsdbToken } : {}),
    edgeMqttPort: integer('--edge-mqtt-port', values['edge-mqtt-port'], 1883, 0, 65_535),
    edgeHttpPort: integer('--edge-http-port', values['edge-http-port'], 8080, 0, 65_535),
    edgePhotoPort: integer('--edge-photo-port', values['edge-photo-port'], 8081, 0, 65_535),
    cloudPort: integer('--cloud-port', values['cloud-port'], 8090, 0, 65_535),
    ...(values.duration !== undefined ? { durationS: number('--duration', values.duration, 0, 1, 7 * 86_400) } : {}),
    logLevel: values['log-level'] ?? 'warn',
  };
}

function number(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new DemoUsageError(`${flag} must be a number from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  const value = number(flag, text, fallback, min, max);
  if (!Number.isInteger(value)) throw new DemoUsageError(`${flag} must be a whole number, got '${text}'`);
  return value;
}
