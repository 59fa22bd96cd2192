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
 * - Listeners (`onApplied`) hear each batch's records once the state holds them, so whoever
 *   they notify reads a state that already shows the change.
 */
import type { FleetRecord } from '@fleetwire/protocol';
import type { DeliveredMessage } from '../../bus/bus.js';
import { createBusConsumer, type BusConsumer } from '../../bus-consumer.js';
import { decodeBatch } from '../bus-records.js';
import { applyRecord } from './apply-record.js';
import { createFleetState } from './fleet-state.js';
import { createFleetReader, type FleetReader } from './fleet-views.js';
import { createFleetMetrics } from './metrics.js';
import { resolveFleetServiceOptions, type FleetServiceOptions } from './options.js';

/** Told every record applied, after the state took it (e.g. the dashboard's live feed and history). */
export type AppliedListener = (records: readonly FleetRecord[]) => void;

/** Ready once subscribed to the bus; the state may still be catching up. */
export interface FleetService extends BusConsumer {
  readonly reader: FleetReader;
  /** Returns the unsubscribe function. A listener that throws is logged and cannot stall the partition. */
  onApplied(listener: AppliedListener): () => void;
}

export function createFleetService(input: FleetServiceOptions): FleetService {
  const options = resolveFleetServiceOptions(input);
  const logger = options.logger.child({ service: 'fleet' });
  const state = createFleetState(options);
  const metrics = createFleetMetrics(options.metrics, state);

  const listeners = new Set<AppliedListener>();

  const handle = async (batch: DeliveredMessage[]): Promise<void> => {
    const applied: FleetRecord[] = [];
    for (const { record } of decodeBatch(batch, metrics.recordsSkipped, logger, 'fleet_record_skipped')) {
      applyRecord(state, record);
      metrics.recordsApplied.inc({ kind: record.kind });
      applied.push(record);
    }
    if (applied.length === 0) return;
    for (const listener of listeners) {
      try {
        listener(applied);
      } catch (error) {
        logger.error({ err: error }, 'fleet_listener_failed');
      }
    }
  };

  return {
    ...createBusConsumer({ bus: options.bus, groupId: options.groupId, topics: options.topics, fromBeginning: true, handle, logger, startedEvent: 'fleet_service_started' }),
    reader: createFleetReader(state, options),
    onApplied(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
