/**
 * Starts the real edge agent as a child process and reads its pino log lines: the
 * `edge_agent_started` line carries the bound addresses (tests use port 0 everywhere).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../../..');
/** The agent's entry on tsx (for a command with extra node flags, e.g. a CPU profile). */
export const AGENT_ENTRY = resolve(import.meta.dirname, 'run-agent.ts');

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly addresses: Record<string, string>;
  /** Every log line so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Sends the signal and resolves with the exit code (or signal name) once its output is read. */
  kill(signal: NodeJS.Signals): Promise<number | string>;
}

/**
 * `command`: the program and arguments before `--config` — default this checkout's agent on
 * tsx; `['<release>/bin/fleetwire', 'edge']` runs a built release instead.
 */
export async function startAgentProcess(config: Record<string, unknown>, dir: string, name = 'edge.json', command = [process.execPath, '--import', 'tsx', AGENT_ENTRY]): Promise<AgentProcess> {
  const configFile = join(dir, name);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const [program, ...args] = command as [string, ...string[]];
  const child = spawn(program, [...args, '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, FLEETWIRE_EDGE_LOG_LEVEL: process.env.FLEETWIRE_EDGE_LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | string>((resolvePromise) => child.once('close', (code, signal) => resolvePromise(code ?? signal ?? -1)));
  const addresses = await new Promise<Record<string, string>>((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.event === 'edge_agent_started') resolvePromise(entry.addresses as Record<string, string>);
    });
    void exited.then((code) => reject(new Error(`edge agent exited (${code}) before starting:\n${stderr}\n${logs.map((l) => JSON.stringify(l)).join('\n')}`)));
  });
  return {
    child,
    addresses,
    logs,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
