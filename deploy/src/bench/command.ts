/**
 * `fleetwire bench <name> [options]`: runs one benchmark as its own Node process (so its memory
 * and CPU figures are its own), passing the options through; `fleetwire bench` lists them.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS, findBenchmark, type Benchmark } from './benchmarks.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function benchUsage(): string {
  const width = Math.max(...BENCHMARKS.map((b) => b.name.length));
  return [
    'Usage: fleetwire bench <name> [options]',
    '',
    'Runs one benchmark; each prints its figures and the ratio against a peer measured in the',
    'same run on the same machine. `fleetwire bench <name> --help` shows its options.',
    '',
    'Benchmarks:',
    ...BENCHMARKS.map((b) => `  ${b.name.padEnd(width)}  ${b.summary}`),
  ].join('\n');
}

/** The command line that runs a benchmark: node with tsx, the script, then the user's options. */
export function benchCommandLine(benchmark: Benchmark, options: readonly string[], root = REPO_ROOT): string[] {
  return [...(benchmark.nodeFlags ?? []), '--import', 'tsx', join(root, benchmark.script), ...options];
}

export async function runBenchCommand(argv: string[]): Promise<number> {
  const [name, ...options] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(benchUsage());
    return name === undefined ? 1 : 0;
  }
  const benchmark = findBenchmark(name);
  if (benchmark === undefined) {
    console.error(`fleetwire bench: unknown benchmark '${name}'\n\n${benchUsage()}`);
    return 2;
  }
  if (!existsSync(join(REPO_ROOT, benchmark.script))) {
    console.error(`fleetwire bench: ${benchmark.script} is missing from this checkout`);
    return 2;
  }
  const child = spawn(process.execPath, benchCommandLine(benchmark, options), { cwd: REPO_ROOT, stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group and it stops its own
  // servers; this process waits for that instead of dying first. SIGTERM is passed on.
  const waitForChild = (): void => undefined;
  const forwardTerm = (): void => void child.kill('SIGTERM');
  process.on('SIGINT', waitForChild);
  process.on('SIGTERM', forwardTerm);
  child.once('exit', () => {
    process.off('SIGINT', waitForChild);
    process.off('SIGTERM', forwardTerm);
  });
  return new Promise((resolve) => {
    child.once('error', (error) => {
      console.error(`fleetwire bench: cannot start ${benchmark.script}: ${error.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
  });
}
