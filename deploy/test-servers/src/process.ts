import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Process plumbing shared by the three servers: spawn a server detached (it outlives the
 * command that started it, so a hand-started server keeps running between test runs), check
 * that a recorded pid is still our server, wait until it is ready, stop it.
 */

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` runs and its command line mentions `marker` — guards against a recycled pid. */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    const zombie = /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return !zombie && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

export interface LaunchPlan {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts the server in its own process group with stdout and stderr appended to `logFile`. */
export function spawnDetached(plan: LaunchPlan, logFile: string): Promise<number> {
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(plan.command, plan.args, {
      cwd: plan.cwd,
      env: { ...process.env, ...plan.env },
      detached: true,
      stdio: ['ignore', out, out],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        child.unref();
        resolve(child.pid as number);
      });
    });
  } finally {
    closeSync(out);
  }
}

export type StopOutcome = 'not_running' | 'stopped' | 'killed';

/** SIGTERM for a clean shutdown (Kafka flushes its logs), SIGKILL when it overstays `graceMs`. */
export async function stopProcess(pid: number, graceMs: number): Promise<StopOutcome> {
  // A zombie (exited, not yet reaped by its parent) counts as gone.
  if (!isOurProcess(pid, '')) return 'not_running';
  process.kill(pid, 'SIGTERM');
  // A stopped (SIGSTOP, debugger) server would hold the SIGTERM until the grace period ends.
  process.kill(pid, 'SIGCONT');
  if (await waitForExit(pid, graceMs)) return 'stopped';
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
  return 'killed';
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, '')) return true;
    await sleep(100);
  }
  return !isOurProcess(pid, '');
}

/** The last `lines` lines of a log file, for error messages; empty when there is no file. */
export function tailFile(path: string, lines = 25): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export function isPortOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Rejects after `timeoutMs` so that one hung health check cannot stall a start. */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadyWait {
  /** Resolves true once the server answers like a healthy one. */
  probe: () => Promise<boolean>;
  /** Returns a reason to give up early (the process died), or undefined to keep waiting. */
  failure: () => string | undefined;
  timeoutMs: number;
  intervalMs?: number;
}

/** Polls `probe` until it passes; returns the reason when it never does. */
export async function waitUntilReady(wait: ReadyWait): Promise<string | undefined> {
  const deadline = Date.now() + wait.timeoutMs;
  let lastError = 'no answer yet';
  for (;;) {
    const failure = wait.failure();
    if (failure !== undefined) return failure;
    try {
      if (await wait.probe()) return undefined;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) return `not ready after ${Math.round(wait.timeoutMs / 1000)} s (last check: ${lastError})`;
    await sleep(wait.intervalMs ?? 500);
  }
}
