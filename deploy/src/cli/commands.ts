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
    name: 'test-servers',
    summary: 'install, start, stop or inspect the real Kafka, VictoriaMetrics and Mosquitto used by tests',
    run: async (argv) => (await import('../test-servers/cli.js')).runTestServersCommand(argv),
  },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
