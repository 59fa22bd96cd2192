/**
 * `http.processes` above 1: that many cloud processes behind one port (node:cluster), so ingest
 * uses every core. This process only forks and watches; each worker runs `startCloud` with the
 * same config (`cloud-worker.ts`) and the primary hands out the connections (round-robin).
 *
 * Why processes and not worker threads: a batch's cost is spread over the whole request (HTTP,
 * inflate, JSON.parse, validation, the Kafka request), so a worker thread would need all of it
 * and gain nothing over a process, while a process keeps its own heap, GC and event loop.
 * What a neighbour does not see: the idempotency and record-id memories are per process, so a
 * batch re-sent on a new connection that lands elsewhere is produced again; its records keep
 * their ids (`fw-id`), which the consumers dedupe on (docs/cloud.md, "Duplicates, end to end").
 * Each process also has its own `/metrics`.
 */
import cluster, { type Worker } from 'node:cluster';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { CloudConfig } from './config.js';
import { CloudError } from './errors.js';
import type { RunningCloud } from './main.js';

/** Primary → worker. */
export type WorkerCommand = { type: 'start'; config: CloudConfig } | { type: 'stop' };
/** Worker → primary. */
export type WorkerReport = { type: 'listening-for-commands' } | { type: 'started'; address: string; operatorAddress: string } | { type: 'failed'; message: string } | { type: 'stopped' };

const here = fileURLToPath(import.meta.url);
/** The worker entry beside this file: `.ts` when run from source (tsx), `.js` from the build. */
const WORKER_ENTRY = fileURLToPath(new URL(`./cloud-worker${extname(here)}`, import.meta.url));

/**
 * Node flags an ingest process should run with: a larger young generation. Ingest makes
 * short-lived objects per record (the parsed line, its strings, the bus message), and with V8's
 * default semi-space GC took 12–20% of its CPU in profiles; with 64 MiB per semi-space ~2%
 * (32 MiB changed nothing measurable). The young generation may then take 2 × 64 MiB
 * (docs/bus.md, "Benchmark: ingest → Kafka vs kcat").
 */
export const INGEST_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/**
 * A worker's node flags: this process's; tsx's loader when run from source (a `.ts` worker),
 * whoever started this one; and each of `INGEST_NODE_FLAGS` unless the operator set that V8
 * option already (on the command line or in NODE_OPTIONS).
 */
export function workerNodeFlags(execArgv: readonly string[], nodeOptions: string, fromSource: boolean): string[] {
  const flags = [...execArgv];
  if (fromSource && !flags.some((flag) => flag.includes('tsx'))) flags.push('--import', 'tsx');
  const given = [...flags, ...nodeOptions.split(/\s+/)];
  for (const flag of INGEST_NODE_FLAGS) {
    const option = flag.split('=')[0] as string;
    if (!given.some((f) => f === option || f.startsWith(`${option}=`))) flags.push(flag);
  }
  return flags;
}

/** Starts `config.http.processes` workers; resolves once every one listens, rejects if one could not start. */
export async function startCloudProcesses(config: CloudConfig, logger: Logger): Promise<RunningCloud> {
  cluster.setupPrimary({ exec: WORKER_ENTRY, execArgv: workerNodeFlags(process.execArgv, process.env.NODE_OPTIONS ?? '', extname(here) === '.ts') });
  let stopping = false;
  const workers = new Set<Worker>();

  const fork = (): Promise<{ address: string; operatorAddress: string }> => {
    const worker = cluster.fork();
    workers.add(worker);
    return new Promise((resolve, reject) => {
      worker.on('message', (report: WorkerReport) => {
        // Not on 'online': that comes before the worker's module has loaded, and a message sent
        // then would find no listener.
        if (report.type === 'listening-for-commands') worker.send({ type: 'start', config } satisfies WorkerCommand);
        if (report.type === 'started') resolve({ address: report.address, operatorAddress: report.operatorAddress });
        if (report.type === 'failed') reject(new CloudError('FW_CONFIG_INVALID', `cloud process ${worker.process.pid} could not start: ${report.message}`));
      });
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        reject(new Error(`cloud process ${worker.process.pid} exited (${signal ?? code}) before it listened`));
        if (stopping) return;
        // A crash loses nothing acknowledged (each batch is answered after the bus stored it; an
        // unanswered one is re-sent by its edge); the port keeps being served by a replacement.
        logger.error({ pid: worker.process.pid, code, signal }, 'cloud_process_exited');
        fork().catch((error: unknown) => logger.error({ err: error }, 'cloud_process_restart_failed'));
      });
    });
  };

  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all([...workers].map((worker) => new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      // Each worker drains its batches in flight (startCloud's stop) before it exits.
      if (worker.isConnected()) worker.send({ type: 'stop' } satisfies WorkerCommand);
      else worker.kill();
    })));
  };

  try {
    const [first, ...others] = await Promise.all(Array.from({ length: config.http.processes }, fork));
    const { address, operatorAddress } = first as { address: string; operatorAddress: string };
    logger.info({ address, processes: others.length + 1 }, 'cloud_processes_started');
    return { address, operatorAddress, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
