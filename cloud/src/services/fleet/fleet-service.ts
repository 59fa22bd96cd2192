/**
 * The fleet state service: a consumer group over the telemetry and event topics that folds
 * every record into an in-memory fleet state (apply-record.ts) and serves it to the API
 * through a `FleetReader`.
 *
 * - The state is rebuilt at every start: the service subscribes a group of its own from the
 *   oldest record still on the bus (`fromBeginning`), so after a restart it replays the bus's
 *   retention (embedded log: 7 days by default; Kafka: the topics' retention) and shows
 *   partial state until it has caught up. Nothing is persisted.
 * - Delivery is at least once; the reducer is idempotent by record id and newer-wins by device
 *   time, so re-deliveries and out-of-order records change nothing they should not.
 * - A bus value that does not decode is counted, logged and skipped (bus-records.ts); the
 *   handler never rejects, so one bad record cannot stall a partition.
 */
import type { DeliveredMessage, Subscription } from '../../bus/bus.js';
import { decodeBatch } from '../bus-records.js';
import { applyRecord } from './apply-record.js';
import { createFleetState } from './fleet-state.js';
import { createFleetReader, type FleetReader } from './fleet-views.js';
import { createFleetMetrics } from './metrics.js';
import { resolveFleetServiceOptions, type FleetServiceOptions } from './options.js';

export interface FleetService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Subscribed to the bus (for /readyz). The state may still be catching up. */
  ready(): Promise<boolean>;
  readonly reader: FleetReader;
}

export function createFleetService(input: FleetServiceOptions): FleetService {
  const options = resolveFleetServiceOptions(input);
  const logger = options.logger.child({ service: 'fleet' });
  const state = createFleetState(options);
  const metrics = createFleetMetrics(options.metrics, state);
  let subscription: Subscription | undefined;

  const handle = async (batch: DeliveredMessage[]): Promise<void> => {
    for (const { record } of decodeBatch(batch, metrics.recordsSkipped, logger, 'fleet_record_skipped')) {
      applyRecord(state, record);
      metrics.recordsApplied.inc({ kind: record.kind });
    }
  };

  return {
    async start() {
      if (subscription !== undefined) return;
      subscription = await options.bus.subscribe({ groupId: options.groupId, topics: options.topics, fromBeginning: true, handle });
      logger.info({ groupId: options.groupId, topics: options.topics }, 'fleet_service_started');
    },
    async stop() {
      const current = subscription;
      subscription = undefined;
      await current?.close();
    },
    ready: async () => subscription !== undefined,
    reader: createFleetReader(state, options),
  };
}
