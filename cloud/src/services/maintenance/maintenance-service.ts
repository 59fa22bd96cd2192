/**
 * The maintenance prediction service: a consumer group over vehicle telemetry and events that
 * folds every record into per-vehicle wear features (maintenance-predictor.ts) and produces a
 * MaintenanceRequired event to `fleetwire.events` when a component is predicted to need
 * attention within the horizon.
 *
 * - The features are rebuilt at every start, as the fleet service's state is: a group of its
 *   own per process, from the oldest record still on the bus. The service's own events on the
 *   events topic tell it which findings already stand, so a restart does not raise them again;
 *   and an event derived again from replayed telemetry has the same deterministic id
 *   (maintenance-event.ts), which consumers drop as a duplicate.
 * - A batch's events are produced before the handler resolves, so its offsets are committed only
 *   after the bus stored them. When producing fails the handler rejects and the events are kept
 *   to be raised again with the re-delivered batch, under the same ids.
 * - A bus value that does not decode is counted, logged and skipped (bus-records.ts).
 */
import { toBusMessage } from '@fleetwire/protocol';
import type { DeliveredMessage } from '../../bus/bus.js';
import { createBusConsumer, type BusConsumer } from '../../bus-consumer.js';
import { decodeBatch } from '../bus-records.js';
import { maintenanceEventRecord } from './maintenance-event.js';
import { applyRecord, createMaintenancePredictor, retryUnsent, type Raised } from './maintenance-predictor.js';
import { createMaintenanceMetrics } from './metrics.js';
import { resolveMaintenanceServiceOptions, type MaintenanceServiceOptions } from './options.js';

/** Ready once subscribed to the bus (or disabled); the features may still be catching up. */
export type MaintenanceService = BusConsumer;

export function createMaintenanceService(input: MaintenanceServiceOptions): MaintenanceService {
  const options = resolveMaintenanceServiceOptions(input);
  const { enabled, ...settings } = options.settings;
  const logger = options.logger.child({ service: 'maintenance' });
  const predictor = createMaintenancePredictor(settings);
  const metrics = createMaintenanceMetrics(options.metrics, predictor);

  const handle = async (batch: DeliveredMessage[]): Promise<void> => {
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

  return createBusConsumer({
    bus: options.bus, groupId: options.groupId, topics: options.topics, fromBeginning: true, handle, logger, enabled,
    startedEvent: 'maintenance_service_started', startedFields: { horizonDays: settings.horizonDays },
  });
}
