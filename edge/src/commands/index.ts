/**
 * Commands to vehicles at the edge (docs/commands.md): the downlink long poll takes commands
 * from the cloud into a durable store; the executor publishes them to the vehicles and turns
 * their acknowledgements — or their silence — into one outcome record each in the buffer.
 */
import { join } from 'node:path';
import type { DeviceIdentity, EventRecord, FleetRecord } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { RecordBuffer } from '../buffer/buffer.js';
import type { UplinkTls } from '../uplink/tls.js';
import { createCommandExecutor, type DeviceSender } from './command-executor.js';
import { openCommandStore } from './command-store.js';
import { createDownlink } from './downlink.js';

export { commandOutcomeId } from './command-executor.js';

export interface EdgeCommandsOptions {
  nodeId: string;
  dataDir: string;
  buffer: RecordBuffer;
  cloud: { url: string; token: string; tls?: UplinkTls };
  /** How long the cloud may hold a poll open. Default 25 s (below common proxy idle timeouts). */
  pollWaitMs?: number;
  metrics: Registry;
  logger: Logger;
}

/** The embedded broker's way back to the devices (intake/broker DeviceChannel). */
export type CommandDevices = DeviceSender & { onCommandsSubscribed(listener: (identity: DeviceIdentity) => void): void };

export interface EdgeCommands {
  /** The embedded broker, once created; without one (bridge or OCPP only) every command fails `offline`. */
  attachDevices(devices: CommandDevices): void;
  /** For the intake pipeline, beside the local rules. */
  evaluate(record: FleetRecord): EventRecord[];
  observe(record: FleetRecord): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Finished commands are remembered this long, so a duplicate handed out late is still known. */
const RETAIN_MS = 7 * 24 * 3600_000;

export function createEdgeCommands(options: EdgeCommandsOptions): EdgeCommands {
  const logger = options.logger.child({ stage: 'commands' });
  const store = openCommandStore(join(options.dataDir, 'commands.sqlite'));
  const outcomes = new Counter({
    name: 'fleetwire_edge_commands_total',
    help: 'Commands finished at this edge node, by outcome (succeeded, offline, expired, refused)',
    labelNames: ['outcome'] as const,
    registers: [options.metrics],
  });
  let devices: CommandDevices | undefined;
  const executor = createCommandExecutor({ nodeId: options.nodeId, store, buffer: options.buffer, devices: () => devices, logger, outcomes });
  const downlink = createDownlink({
    ...options.cloud,
    waitMs: options.pollWaitMs ?? 25_000,
    cursor: () => store.cursor(),
    deliver: (commands) => executor.take(store.receive(commands, Date.now())),
    logger,
  });
  return {
    attachDevices(channel) {
      devices = channel;
      channel.onCommandsSubscribed((identity) => executor.vehicleSubscribed(identity));
    },
    evaluate: (record) => executor.evaluate(record),
    observe: (record) => executor.observe(record),
    async start() {
      store.prune(Date.now() - RETAIN_MS);
      await executor.resume();
      downlink.start();
    },
    async stop() {
      await downlink.stop();
      executor.stop();
      store.close();
    },
  };
}
