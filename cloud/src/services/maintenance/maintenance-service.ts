/**
 * The maintenance prediction service: a consumer group over vehicle telemetry and events that
 * folds every record into per-vehicle wear features (maintenance-predictor.ts), one predictor
 * per partition, and produces a MaintenanceRequired event to `fleetwire.events` when a component
 * is predicted to need attention within the horizon.
 *
 * - Instances share the group's partitions; each partition's predictor (features, raised
 *   findings, findings not yet sent) is checkpointed, and a restarting or newly assigned instance
 *   resumes from the checkpoint and replays only the tail (../checkpointed/). A finding already
 *   raised is in the checkpoint, so it is not raised again; an event derived again from replayed
 *   records has the same deterministic id (maintenance-event.ts), which consumers drop as a
 *   duplicate.
 * - A batch's events are produced before the handler resolves, and a checkpoint is never taken
 *   while a batch is being applied, so no checkpoint holds a finding whose event is not stored.
 *   When producing fails the handler rejects and the events are kept to be raised again with the
 *   re-delivered batch, under the same ids.
 * - A bus value that does not decode is counted, logged and skipped (bus-records.ts).
 */
import { toBusMessage } from '@fleetwire/protocol';
import type { DeliveredMessage } from '../../bus/bus.js';
import type { BusConsumer } from '../../bus-consumer.js';
import { decodeBatch } from '../bus-records.js';
import { createCheckpointStore } from '../checkpointed/checkpoint-store.js';
import { createPartitionedConsumer } from '../checkpointed/partitioned-consumer.js';
import { maintenanceEventRecord } from './maintenance-event.js';
import { applyRecord, createMaintenancePredictor, retryUnsent, type MaintenancePredictor, type Raised } from './maintenance-predictor.js';
import { createMaintenanceMetrics } from './metrics.js';
import { resolveMaintenanceServiceOptions, type MaintenanceServiceOptions } from './options.js';
import type { VehicleCondition } from './vehicle-condition.js';

/** Ready once its partitions are restored and caught up (or disabled). */
export type MaintenanceService = BusConsumer;

interface PredictorSnapshot {
  vehicles: Map<string, VehicleCondition>;
  unsent: Raised[];
}

export function createMaintenanceService(input: MaintenanceServiceOptions): MaintenanceService {
  const options = resolveMaintenanceServiceOptions(input);
  const { enabled, groupId, checkpointIntervalMs, checkpointRecords, readyMaxLag, viewRefreshMs, restoreLogIntervalMs, ...settings } = options.settings;
  const logger = options.logger.child({ service: 'maintenance' });
  const consumer = createPartitionedConsumer<MaintenancePredictor>({
    bus: options.bus, store: createCheckpointStore(options.bus), groupId, topics: options.topics, logger, metrics: options.metrics,
    service: 'maintenance', enabled,
    settings: { checkpointIntervalMs, checkpointRecords, readyMaxLag, viewRefreshMs, restoreLogIntervalMs },
    startedEvent: 'maintenance_service_started', startedFields: { horizonDays: settings.horizonDays },
    create: () => createMaintenancePredictor(settings),
    encode: (predictor): PredictorSnapshot => ({ vehicles: predictor.vehicles, unsent: predictor.unsent }),
    decode(data) {
      const snapshot = data as PredictorSnapshot;
      return { ...createMaintenancePredictor(settings), vehicles: snapshot.vehicles, unsent: snapshot.unsent };
    },
    apply: (predictor, records) => apply(predictor, records),
  });
  const metrics = createMaintenanceMetrics(options.metrics, () => consumer.owned().map((p) => p.state));

  const apply = async (predictor: MaintenancePredictor, batch: DeliveredMessage[]): Promise<void> => {
    const raised: Raised[] = [];
    for (const { record } of decodeBatch(batch, metrics.recordsSkipped, logger, 'maintenance_record_skipped')) {
      metrics.recordsSeen.inc({ kind: record.kind });
      const outcome = applyRecord(predictor, record);
      for (const a of outcome.assessments) metrics.predictions.inc({ reason: a.reason, verdict: a.verdict });
      raised.push(...outcome.raised);
    }
    if (raised.length === 0) return;
    const receivedAt = options.now();
    let records: ReturnType<typeof maintenanceEventRecord>[] = [];
    try {
      records = raised.map((r) => maintenanceEventRecord(r.vehicleId, r.assessment, settings.horizonDays, receivedAt));
      await options.bus.produce(records.map((record) => toBusMessage(record)));
    } catch (error) {
      // Not stored: the findings are raised again when the batch comes back.
      retryUnsent(predictor, raised);
      logger.warn({ err: error, events: raised.length }, 'maintenance_events_not_produced');
      throw error;
    }
    for (const record of records) {
      if (record.payload.type !== 'MaintenanceRequired') continue;
      metrics.eventsEmitted.inc({ reason: record.payload.data.reason });
      logger.info({ eventId: record.id, vehicleId: record.payload.subject.id, ...record.payload.data }, 'maintenance_required');
    }
  };

  return consumer;
}
