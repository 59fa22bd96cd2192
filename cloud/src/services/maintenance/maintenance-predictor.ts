/**
 * Maintenance prediction as a plain function over records: `applyRecord(predictor, record)`
 * folds one bus record into the fleet's vehicle conditions and returns the assessments it made
 * and the findings it raised, each with the id of the MaintenanceRequired event to produce. No I/O: the service
 * (maintenance-service.ts) feeds it from the bus, and the tests feed it simulator output.
 *
 * Records it reads: vehicle telemetry (tyres, 12 V, fault codes), TripStarted / TripEnded
 * (traction battery), and its own MaintenanceRequired events (the findings it already raised,
 * learnt back from the bus at a restart). Everything else is ignored, including
 * MaintenanceRequired a vehicle published itself: that is the vehicle's own opinion, not a
 * finding of this service.
 */
import type { EventRecord, FleetRecord } from '@fleetwire/protocol';
import type { Assessment } from './assessment.js';
import { applyAssessment, learnRaised } from './findings.js';
import { MAINTENANCE_SOURCE, maintenanceEventId } from './maintenance-event.js';
import type { PredictionSettings } from './settings.js';
import { createVehicleCondition, observeReading, observeTripEnd, observeTripStart, type VehicleCondition } from './vehicle-condition.js';

export interface MaintenancePredictor {
  readonly settings: PredictionSettings;
  readonly vehicles: Map<string, VehicleCondition>;
  /** Raised findings whose events did not reach the bus: handed out again with the next record. */
  unsent: Raised[];
}

export interface Raised {
  vehicleId: string;
  eventId: string;
  assessment: Assessment;
}

export interface Outcome {
  assessments: Assessment[];
  raised: Raised[];
}

const NOTHING: Outcome = { assessments: [], raised: [] };

export function createMaintenancePredictor(settings: PredictionSettings): MaintenancePredictor {
  return { settings, vehicles: new Map(), unsent: [] };
}

export function applyRecord(predictor: MaintenancePredictor, record: FleetRecord): Outcome {
  const outcome = applyToVehicle(predictor, record);
  if (predictor.unsent.length === 0) return outcome;
  const unsent = predictor.unsent;
  predictor.unsent = [];
  return { assessments: outcome.assessments, raised: [...unsent, ...outcome.raised] };
}

/**
 * The findings stay open, and their events are raised again with the next record — the batch
 * the bus re-delivers — under the same ids. Re-delivered readings alone could not raise them:
 * they are already in the windows, and change nothing.
 */
export function retryUnsent(predictor: MaintenancePredictor, raised: readonly Raised[]): void {
  predictor.unsent = [...raised, ...predictor.unsent];
}

function applyToVehicle(predictor: MaintenancePredictor, record: FleetRecord): Outcome {
  if (record.kind === 'vehicle_telemetry') {
    const vehicleId = record.source.id;
    return raise(predictor, vehicleId, observeReading(conditionOf(predictor, vehicleId), record, predictor.settings));
  }
  if (record.kind === 'event') return applyEvent(predictor, record);
  return NOTHING;
}

function applyEvent(predictor: MaintenancePredictor, record: EventRecord): Outcome {
  const event = record.payload;
  switch (event.type) {
    case 'TripStarted':
      observeTripStart(conditionOf(predictor, event.data.vehicleId), event.data);
      return NOTHING;
    case 'TripEnded': {
      const vehicleId = event.data.vehicleId;
      return raise(predictor, vehicleId, observeTripEnd(conditionOf(predictor, vehicleId), event.data, record, predictor.settings));
    }
    case 'MaintenanceRequired':
      if (event.source === MAINTENANCE_SOURCE && event.subject.kind === 'vehicle') {
        learnRaised(conditionOf(predictor, event.subject.id).findings, event.data.component, Date.parse(event.occurredAt));
      }
      return NOTHING;
    default:
      return NOTHING;
  }
}

function raise(predictor: MaintenancePredictor, vehicleId: string, assessments: Assessment[]): Outcome {
  const findings = conditionOf(predictor, vehicleId).findings;
  const raised: Raised[] = [];
  for (const assessment of assessments) {
    if (applyAssessment(findings, assessment)) {
      raised.push({ vehicleId, eventId: maintenanceEventId(vehicleId, assessment.component, assessment.at), assessment });
    }
  }
  return { assessments, raised };
}

function conditionOf(predictor: MaintenancePredictor, vehicleId: string): VehicleCondition {
  let condition = predictor.vehicles.get(vehicleId);
  if (condition === undefined) {
    condition = createVehicleCondition();
    predictor.vehicles.set(vehicleId, condition);
  }
  return condition;
}
