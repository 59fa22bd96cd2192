/** The maintenance service's own telemetry; labels come from fixed lists. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MaintenancePredictor } from './maintenance-predictor.js';

export interface MaintenanceMetrics {
  /** kind: the record kind. Re-deliveries are counted too. */
  recordsSeen: Counter<'kind'>;
  /** reason: the protocol reason a bus value did not decode for. */
  recordsSkipped: Counter<'reason'>;
  /** reason: the assessment's reason; verdict: due, watch or clear. */
  predictions: Counter<'reason' | 'verdict'>;
  /** reason: the finding's reason. Counted once the bus stored the event. */
  eventsEmitted: Counter<'reason'>;
}

/** `predictors`: those of the partitions this instance holds, read at each scrape. */
export function createMaintenanceMetrics(registry: Registry, predictors: () => MaintenancePredictor[]): MaintenanceMetrics {
  const registers = [registry];
  new Gauge({
    name: 'fleetwire_maintenance_vehicles', help: 'Vehicles this instance of the maintenance service keeps features of', registers,
    collect() {
      this.set(new Set(predictors().flatMap((p) => [...p.vehicles.keys()])).size);
    },
  });
  return {
    recordsSeen: new Counter({
      name: 'fleetwire_maintenance_records_seen_total', help: 'Bus records read by the maintenance service, by kind', labelNames: ['kind'], registers,
    }),
    recordsSkipped: new Counter({
      name: 'fleetwire_maintenance_records_skipped_total', help: 'Bus records the maintenance service could not decode, by reason', labelNames: ['reason'], registers,
    }),
    predictions: new Counter({
      name: 'fleetwire_maintenance_predictions_total', help: 'Component assessments made, by reason and verdict', labelNames: ['reason', 'verdict'], registers,
    }),
    eventsEmitted: new Counter({
      name: 'fleetwire_maintenance_events_emitted_total', help: 'MaintenanceRequired events produced to the bus, by reason', labelNames: ['reason'], registers,
    }),
  };
}
