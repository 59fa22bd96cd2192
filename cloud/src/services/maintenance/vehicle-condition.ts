/**
 * What the service keeps per vehicle — rolling features of each wearing component and the
 * standing findings — and how one record changes it. Every window is capped by count and age,
 * so a vehicle's memory is fixed whatever it sends (docs/maintenance.md gives the sizes).
 */
import { type EventData, type FleetRecord, MINUTE_MS, trustedTime, type VehicleTelemetryRecord } from '@fleetwire/protocol';
import type { Assessment, Horizon } from './assessment.js';
import { assessAuxBattery, observeAuxBattery } from './aux-battery.js';
import { assessFault, createFaultHistory, observeFaults, type FaultHistory } from './fault.js';
import type { Findings } from './findings.js';
import type { PredictionSettings } from './settings.js';
import {
  assessTractionBattery,
  createTractionBattery,
  observeTripEnded,
  observeTripStarted,
  type TractionBattery,
} from './traction-battery.js';
import type { Point } from './trend.js';
import { assessTyre, createTyreWindows, observeTyres, type TyreWindows } from './tyre.js';

export interface VehicleCondition {
  /** Trusted time the ignition was last seen on or the vehicle moving (its first reading, until then). */
  lastActiveAt: number;
  /** Codes shown by the newest reading. */
  activeDtcs: string[];
  tyres: TyreWindows;
  auxBattery: Point[];
  tractionBattery: TractionBattery;
  faults: FaultHistory;
  findings: Findings;
}


export function createVehicleCondition(): VehicleCondition {
  return {
    lastActiveAt: -Infinity,
    activeDtcs: [],
    tyres: createTyreWindows(),
    auxBattery: [],
    tractionBattery: createTractionBattery(),
    faults: createFaultHistory(),
    findings: new Map(),
  };
}

/** Folds a reading in; returns the assessments of the components whose features changed. */
export function observeReading(condition: VehicleCondition, record: VehicleTelemetryRecord, settings: PredictionSettings): Assessment[] {
  const at = trustedTime(record);
  const reading = record.payload;
  const horizon: Horizon = settings;
  const assessments: Assessment[] = [];
  const isNewest = at >= condition.faults.latestAt;
  // A sparse reading without `dtcs` says nothing about the codes: it neither shows nor clears them.
  if (reading.dtcs !== undefined) {
    for (const code of observeFaults(condition.faults, reading.dtcs, at, settings.faults)) {
      const assessment = assessFault(condition.faults, code, settings.faults);
      if (assessment !== undefined) assessments.push(assessment);
    }
    forgetFindingsOfForgottenCodes(condition);
    if (isNewest) condition.activeDtcs = [...reading.dtcs];
  }

  // The first reading of a vehicle counts as activity: what it did before is unknown.
  const active = reading.ignition === true || (reading.speedKph ?? 0) > 0 || condition.lastActiveAt === -Infinity;
  if (active) condition.lastActiveAt = Math.max(condition.lastActiveAt, at);
  const rested = !active && at - condition.lastActiveAt >= settings.restMinutes * MINUTE_MS;

  for (const tyre of observeTyres(condition.tyres, reading, at, rested, settings.tyre)) {
    const assessment = assessTyre(condition.tyres, tyre, settings.tyre, horizon);
    if (assessment !== undefined) assessments.push(assessment);
  }
  if (rested && reading.aux12vV !== undefined && observeAuxBattery(condition.auxBattery, reading.aux12vV, at, settings.auxBattery)) {
    const assessment = assessAuxBattery(condition.auxBattery, condition.activeDtcs, settings.auxBattery, horizon);
    if (assessment !== undefined) assessments.push(assessment);
  }
  return assessments;
}

export function observeTripStart(condition: VehicleCondition, data: EventData['TripStarted']): void {
  observeTripStarted(condition.tractionBattery, data);
}

export function observeTripEnd(condition: VehicleCondition, data: EventData['TripEnded'], record: FleetRecord, settings: PredictionSettings): Assessment[] {
  if (!observeTripEnded(condition.tractionBattery, data, trustedTime(record), settings.tractionBattery)) return [];
  const assessment = assessTractionBattery(condition.tractionBattery, condition.activeDtcs, settings.tractionBattery, settings);
  return assessment === undefined ? [] : [assessment];
}

/** A code the fault history let go of takes its finding along, so findings stay bounded too. */
function forgetFindingsOfForgottenCodes(condition: VehicleCondition): void {
  for (const component of condition.findings.keys()) {
    if (component.startsWith('dtc_') && !condition.faults.codes.has(component.slice('dtc_'.length).toUpperCase())) condition.findings.delete(component);
  }
}
