/**
 * The registry of `fleetwire` subcommands. Each entry loads its module lazily so that
 * `fleetwire --help` stays instant and a command's heavy dependencies (onnxruntime, Kafka
 * clients) load only when that command runs.
 */
export interface Command {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'demo',
    summary: 'run edge + cloud + a simulated fleet on this machine, no external servers needed',
    run: async (argv) => (await import('../demo/command.js')).runDemoCommand(argv),
  },
  {
    name: 'edge',
    summary: 'run the edge agent: MQTT intake, SQLite buffer, uplink to the cloud',
    run: async (argv) => (await import('@fleetwire/edge')).runEdgeCommand(argv),
  },
  {
    name: 'cloud',
    summary: 'run the cloud ingest: batch API into Kafka or the embedded log, time-series sink',
    run: async (argv) => (await import('@fleetwire/cloud')).runCloudCommand(argv),
  },
  {
    name: 'simulate',
    summary: 'run a simulated fleet of vehicles and chargers against an MQTT broker',
    run: async (argv) => (await import('@fleetwire/simulators')).runSimulateCommand(argv),
  },
  {
    name: 'loadgen',
    summary: 'publish a fixed MQTT load and report the achieved rate and ack latency',
    run: async (argv) => (await import('@fleetwire/simulators')).runLoadCommand(argv),
  },
  {
    name: 'bench',
    summary: 'run a benchmark: its figure and the ratio against a peer measured in the same run',
    run: async (argv) => (await import('../bench/command.js')).runBenchCommand(argv),
  },
  {
    name: 'test-servers',
    summary: 'install, start, stop or inspect the real Kafka, VictoriaMetrics and Mosquitto used by tests',
    run: async (argv) => (await import('@fleetwire/test-servers')).runTestServersCommand(argv),
  },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
