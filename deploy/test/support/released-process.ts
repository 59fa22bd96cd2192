/**
 * Runs a command of an installed release as a child process — optionally as another user —
 * and waits for the pino log line that says it has started and where it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ReleasedProcess {
  readonly child: ChildProcess;
  /** The start line, parsed. */
  readonly started: Record<string, unknown>;
  /** Every line printed so far (stdout and stderr). */
  readonly output: string[];
  stop(): Promise<number | string>;
}

export interface ReleasedProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** Recognises the start line. */
  isStarted(entry: Record<string, unknown>): boolean;
}

export async function startReleasedProcess(options: ReleasedProcessOptions): Promise<ReleasedProcess> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  const output: string[] = [];
  const exited = new Promise<number | string>((resolve) => {
    child.once('close', (code, signal) => resolve(code ?? signal ?? -1));
    child.once('error', (error) => resolve(error.message));
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => output.push(line));
  const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      output.push(line);
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (options.isStarted(entry)) resolve(entry);
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`${options.command} ${options.args.join(' ')} exited (${code}) before starting:\n${output.join('\n')}`)));
  });
  return {
    child,
    started,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
