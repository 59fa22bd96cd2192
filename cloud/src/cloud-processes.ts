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
 * short-lived objects per record (the parsed line, its strings, the bus message); with V8's
 * default semi-space a busy process scavenged so often that whole batches still in flight were
 * promoted to the old generation, and GC was 12–20% of its CPU. With 64 MiB per semi-space it
 * was ~2% in a profile (32 MiB changed nothing measurable); the young generation may then hold
 * up to ~130 MiB (docs/bus.md, "Benchmark: ingest → Kafka vs kcat").
 */
export const INGEST_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

const setsFlag = (flags: readonly string[], flag: string): boolean =>
  flags.some((f) => f.startsWith(flag)) || (process.env.NODE_OPTIONS ?? '').includes(flag);

/**
 * This process's node flags; from source (a `.ts` worker) with tsx's loader, whoever started
 * this one; and `INGEST_NODE_FLAGS` unless the operator chose a value of their own.
 */
function workerExecArgv(): string[] {
  const flags = [...process.execArgv];
  if (extname(here) === '.ts' && !flags.some((flag) => flag.includes('tsx'))) flags.push('--import', 'tsx');
  for (const flag of INGEST_NODE_FLAGS) if (!setsFlag(flags, flag.split('=')[0] as string)) flags.push(flag);
  return flags;
}

/** Starts `config.http.processes` workers; resolves once every one listens, rejects if one could not start. */
export async function startCloudProcesses(config: CloudConfig, logger: Logger): Promise<RunningCloud> {
  cluster.setupPrimary({ exec: WORKER_ENTRY, execArgv: workerExecArgv() });
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
