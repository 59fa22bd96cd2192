/**
 * The fleet state service: a consumer group over the telemetry and event topics that folds
 * every record into a fleet state per partition (apply-record.ts) and serves their merge
 * (fleet-merge.ts) to the API through a `FleetReader`.
 *
 * - Instances share the group's partitions; each partition's state is checkpointed and a
 *   restarting or newly assigned instance resumes from the checkpoint, replaying only the tail
 *   (../checkpointed/). The reader shows the whole fleet on every instance: the partitions it
 *   holds live, the others from their owners' checkpoints (shared-view.ts).
 * - Ready once its partitions are restored and caught up within `readyMaxLag`.
 * - Delivery is at least once; the reducer is idempotent by record id and newer-wins by device
 *   time, so re-deliveries and out-of-order records change nothing they should not.
 * - A bus value that does not decode is counted, logged and skipped (bus-records.ts); the
 *   handler never rejects for one, so one bad record cannot stall a partition.
 * - Listeners (`onApplied`) hear each batch's records once the state holds them, so whoever
 *   they notify reads a state that already shows the change. They hear this instance's
 *   partitions only (the dashboard's live feed: docs/dashboard.md).
 */
import type { FleetRecord } from '@fleetwire/protocol';
import type { RecentEvent } from './fleet-state.js';
import type { BusConsumer } from '../../bus-consumer.js';
import { decodeBatch } from '../bus-records.js';
import { createCheckpointStore } from '../checkpointed/checkpoint-store.js';
import { createPartitionedConsumer } from '../checkpointed/partitioned-consumer.js';
import { createSharedView } from '../checkpointed/shared-view.js';
import { applyRecord } from './apply-record.js';
import { mergeFleetStates } from './fleet-merge.js';
import { createFleetState, type ChargerState, type FleetState, type VehicleState } from './fleet-state.js';
import { createFleetReader, type FleetReader } from './fleet-views.js';
import { createFleetMetrics } from './metrics.js';
import { resolveFleetServiceOptions, type FleetServiceOptions } from './options.js';

/** Told every record applied, after the state took it (e.g. the dashboard's live feed and history). */
export type AppliedListener = (records: readonly FleetRecord[]) => void;

export interface FleetService extends BusConsumer {
  readonly reader: FleetReader;
  /** Returns the unsubscribe function. A listener that throws is logged and cannot stall the partition. */
  onApplied(listener: AppliedListener): () => void;
}

/** A partition's fleet state as checkpoint data. */
interface FleetSnapshot {
  vehicles: VehicleState[];
  chargers: ChargerState[];
  recentEvents: RecentEvent[];
}

export function createFleetService(input: FleetServiceOptions): FleetService {
  const options = resolveFleetServiceOptions(input);
  const logger = options.logger.child({ service: 'fleet' });
  const store = createCheckpointStore(options.bus);
  const { maxRecentEvents } = options;

  const encode = (state: FleetState): FleetSnapshot => ({
    vehicles: [...state.vehicles.values()], chargers: [...state.chargers.values()], recentEvents: state.recentEvents.newest(maxRecentEvents),
  });
  const decode = (data: unknown): FleetState => {
    const snapshot = data as FleetSnapshot;
    const state = createFleetState({ maxRecentEvents });
    for (const vehicle of snapshot.vehicles) state.vehicles.set(vehicle.id, vehicle);
    for (const charger of snapshot.chargers) state.chargers.set(charger.id, charger);
    for (const event of snapshot.recentEvents) state.recentEvents.add(event);
    return state;
  };

  const listeners = new Set<AppliedListener>();
  const notify = (applied: readonly FleetRecord[]): void => {
    for (const listener of listeners) {
      try {
        listener(applied);
      } catch (error) {
        logger.error({ err: error }, 'fleet_listener_failed');
      }
    }
  };

  const view = (): FleetState => mergeFleetStates(shared.states(), maxRecentEvents);
  const metrics = createFleetMetrics(options.metrics, view);

  const consumer = createPartitionedConsumer<FleetState>({
    bus: options.bus, store, groupId: options.groupId, topics: options.topics, logger, metrics: options.metrics,
    service: 'fleet', settings: options, startedEvent: 'fleet_service_started',
    create: () => createFleetState({ maxRecentEvents }),
    encode, decode,
    async apply(state, records) {
      const applied: FleetRecord[] = [];
      for (const { record } of decodeBatch(records, metrics.recordsSkipped, logger, 'fleet_record_skipped')) {
        applyRecord(state, record);
        metrics.recordsApplied.inc({ kind: record.kind });
        applied.push(record);
      }
      if (applied.length > 0) notify(applied);
    },
  });
  const shared = createSharedView<FleetState>({
    store, groupId: options.groupId, refreshMs: options.viewRefreshMs, decode, owned: () => consumer.owned(), logger,
  });

  return {
    ...consumer,
    async start() {
      await consumer.start();
      shared.start();
    },
    async stop() {
      shared.stop();
      await consumer.stop();
    },
    reader: createFleetReader(view, options),
    onApplied(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
