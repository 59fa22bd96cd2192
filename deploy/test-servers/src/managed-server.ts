import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installDebianPrograms } from './debian-packages.js';
import { TestServerError } from './errors.js';
import { lockHolder, withLock } from './lock.js';
import {
  isOurProcess,
  isPortOpen,
  isProcessAlive,
  spawnDetached,
  stopProcess,
  tailFile,
  waitUntilReady,
  withTimeout,
  type StopOutcome,
} from './process.js';
import type { ServerContext, ServerDefinition, ServerName } from './server.js';
import type { TestServerSettings } from './settings.js';

/**
 * Runs one test server for any number of processes at once.
 *
 * Files in <runDir>/<name>/: state.json (pid, mode, ports), <name>.log, users/<pid> (one per
 * test run using the server), plus the server's config and data. <runDir>/<name>.lock is held
 * while starting or stopping, so concurrent test runs start a server once and reuse it.
 *
 * Modes: a server started by hand (`test-servers start`) is `manual` and runs until
 * `test-servers stop`. One started by a test run is `auto`: each run registers itself as a
 * user, and the last run to release it stops it — so a run never stops a server another
 * run is still using, and never stops a hand-started one.
 */
export type ServerMode = 'manual' | 'auto';

interface ServerState {
  pid: number;
  mode: ServerMode;
  ports: number[];
  address: string;
  startedAt: string;
}

export interface ServerStatus {
  name: ServerName;
  running: boolean;
  healthy: boolean;
  address: string;
  pid?: number;
  mode?: ServerMode;
  startedAt?: string;
  /** Pids of the test runs currently using an auto server. */
  users: number[];
  logFile: string;
  /** Something odd worth saying, e.g. the port is taken by a process we did not start. */
  note?: string;
}

export interface StartResult {
  name: ServerName;
  address: string;
  pid: number;
  reused: boolean;
}

export interface ManagedServer {
  readonly name: ServerName;
  readonly address: string;
  install(): Promise<void>;
  /** Starts the server or reuses the healthy one already running; `asUser` registers this process as a user. */
  start(options: { mode: ServerMode; asUser: boolean }): Promise<StartResult>;
  /** Unregisters this process; stops an auto server nobody else uses. Returns true when it stopped it. */
  release(): Promise<boolean>;
  stop(): Promise<StopOutcome>;
  status(): Promise<ServerStatus>;
}

const PROBE_TIMEOUT_MS = 10_000;
/** A running server that stopped answering gets this long to recover before it is restarted. */
const UNHEALTHY_GRACE_MS = 20_000;

export function createManagedServer(
  definition: ServerDefinition,
  settings: TestServerSettings,
  progress: (line: string) => void,
): ManagedServer {
  const { name } = definition;
  const dir = join(settings.runDir, name);
  const context: ServerContext = { settings, dir, progress };
  const stateFile = join(dir, 'state.json');
  const usersDir = join(dir, 'users');
  const logFile = join(dir, `${name}.log`);
  const lockFile = join(settings.runDir, `${name}.lock`);
  const address = definition.address(settings);
  const ports = definition.ports(settings);
  // Every launch plan names a file in `dir`, so a pid whose command line lacks it is not ours.
  const marker = `${dir}/`;

  const probe = () => withTimeout(definition.probe(settings), PROBE_TIMEOUT_MS, `${name} health check`);
  const lock = <T>(work: () => Promise<T>) =>
    withLock(lockFile, work, {
      onWait: (owner) => progress(`${name}: another process (pid ${owner ?? '?'}) is starting or stopping it; waiting`),
    });

  async function readState(): Promise<ServerState | undefined> {
    try {
      return JSON.parse(await readFile(stateFile, 'utf8')) as ServerState;
    } catch {
      return undefined;
    }
  }

  async function liveUsers(): Promise<number[]> {
    const entries = await readdir(usersDir).catch(() => [] as string[]);
    const pids = entries.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
    return pids.filter((pid) => isProcessAlive(pid));
  }

  async function addUser(): Promise<void> {
    await mkdir(usersDir, { recursive: true });
    await writeFile(join(usersDir, String(process.pid)), '');
  }

  async function forget(): Promise<void> {
    await rm(stateFile, { force: true });
    await rm(usersDir, { recursive: true, force: true });
  }

  async function install(): Promise<void> {
    await installDebianPrograms(definition.debianPrograms, join(settings.runDir, 'apt.lock'), progress);
    await definition.fetch?.(context);
  }

  /** Reuses the running server when it is ours and healthy; stops it when it is ours but hung. */
  async function reuse(state: ServerState, mode: ServerMode): Promise<boolean> {
    if (state.ports.join() !== ports.join()) {
      throw new TestServerError(
        'FW_TEST_SERVER_PORT_IN_USE',
        `${name} already runs (pid ${state.pid}) on ports ${state.ports.join(', ')}, not the requested ${ports.join(', ')}; ` +
          'stop it first with `fleetwire test-servers stop`',
      );
    }
    const failure = await waitUntilReady({
      probe,
      failure: () => (isOurProcess(state.pid, marker) ? undefined : 'the process exited'),
      timeoutMs: UNHEALTHY_GRACE_MS,
    });
    if (failure !== undefined) {
      progress(`${name}: pid ${state.pid} is not healthy (${failure}); restarting it`);
      await stopProcess(state.pid, definition.stopGraceMs);
      await forget();
      return false;
    }
    if (mode === 'manual' && state.mode === 'auto') {
      await writeFile(stateFile, JSON.stringify({ ...state, mode }, null, 2));
    }
    return true;
  }

  async function startFresh(mode: ServerMode): Promise<number> {
    for (const port of ports) {
      if (await isPortOpen(settings.host, port)) {
        throw new TestServerError(
          'FW_TEST_SERVER_PORT_IN_USE',
          `${name}: port ${settings.host}:${port} is taken by a process fleetwire did not start ` +
            `(see \`ss -ltnp 'sport = :${port}'\`); stop it or choose other ports (FLEETWIRE_*_PORT)`,
          { canRetry: true },
        );
      }
    }
    await mkdir(dir, { recursive: true });
    await writeFile(logFile, '');
    const plan = await definition.prepare(context);
    const started = Date.now();
    const pid = await spawnDetached(plan, logFile);
    const state: ServerState = { pid, mode, ports, address, startedAt: new Date(started).toISOString() };
    await writeFile(stateFile, JSON.stringify(state, null, 2));
    progress(`${name}: started pid ${pid}, waiting until it is ready (up to ${definition.readyTimeoutMs / 1000} s)`);
    const failure = await waitUntilReady({
      probe,
      failure: () => (isOurProcess(pid, marker) ? undefined : 'the process exited'),
      timeoutMs: definition.readyTimeoutMs,
    });
    if (failure !== undefined) {
      await stopProcess(pid, 5_000);
      await forget();
      throw new TestServerError(
        'FW_TEST_SERVER_START_FAILED',
        `${name} did not start: ${failure}.\n--- last lines of ${logFile} ---\n${tailFile(logFile)}\n---\n` +
          `Check: ${definition.hint}`,
        { canRetry: true },
      );
    }
    progress(`${name}: ready at ${address} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return pid;
  }

  return {
    name,
    address,
    install,

    async start({ mode, asUser }) {
      await install();
      return lock(async () => {
        const state = await readState();
        if (state !== undefined && isOurProcess(state.pid, marker) && (await reuse(state, mode))) {
          if (asUser) await addUser();
          progress(`${name}: reusing pid ${state.pid} at ${address}`);
          return { name, address, pid: state.pid, reused: true };
        }
        await forget();
        const pid = await startFresh(mode);
        if (asUser) await addUser();
        return { name, address, pid, reused: false };
      });
    },

    async release() {
      return lock(async () => {
        await rm(join(usersDir, String(process.pid)), { force: true });
        const state = await readState();
        if (state === undefined || state.mode !== 'auto' || (await liveUsers()).length > 0) return false;
        await stopProcess(state.pid, definition.stopGraceMs);
        await forget();
        return true;
      });
    },

    async stop() {
      return lock(async () => {
        const state = await readState();
        const outcome =
          state !== undefined && isOurProcess(state.pid, marker)
            ? await stopProcess(state.pid, definition.stopGraceMs)
            : 'not_running';
        await forget();
        return outcome;
      });
    },

    async status() {
      const state = await readState();
      const running = state !== undefined && isOurProcess(state.pid, marker);
      const healthy = running && (await probe().catch(() => false));
      const status: ServerStatus = { name, running, healthy, address, users: running ? await liveUsers() : [], logFile };
      if (running) Object.assign(status, { pid: state.pid, mode: state.mode, startedAt: state.startedAt });
      const taken = await Promise.all(ports.map((port) => isPortOpen(settings.host, port)));
      const holder = await lockHolder(lockFile);
      if (holder !== undefined) status.note = `being started or stopped by pid ${holder}`;
      else if (!running && taken.some(Boolean)) status.note = 'its port is taken by a process fleetwire did not start';
      return status;
    },
  };
}
