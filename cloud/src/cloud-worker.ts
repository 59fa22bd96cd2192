/**
 * One of several cloud processes behind one port (`cloud-processes.ts`): waits for its config
 * from the primary, runs the cloud, and stops it (draining batches in flight) when told to.
 */
import type { WorkerCommand, WorkerReport } from './cloud-processes.js';
import { startCloud, type RunningCloud } from './main.js';

/** Reports to the primary; `exitCode` ends this process once the report is on its way. */
const report = (message: WorkerReport, exitCode?: number): void => {
  process.send?.(message, undefined, {}, () => {
    if (exitCode !== undefined) process.exit(exitCode);
  });
};
let cloud: RunningCloud | undefined;

process.on('message', (command: WorkerCommand) => {
  if (command.type === 'start') {
    startCloud(command.config).then(
      (running) => {
        cloud = running;
        report({ type: 'started', address: running.address, operatorAddress: running.operatorAddress });
      },
      (error: unknown) => report({ type: 'failed', message: error instanceof Error ? error.message : String(error) }, 1),
    );
  } else {
    void (cloud?.stop() ?? Promise.resolve()).finally(() => report({ type: 'stopped' }, 0));
  }
});
report({ type: 'listening-for-commands' });
// The primary's Ctrl-C reaches the whole process group; the primary decides when this one stops.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
