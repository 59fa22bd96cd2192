/**
 * Scores the predictor against the simulator's ground truth (for tests and tuning): runs the
 * fleet model deterministically from a seed, feeds every message the edge would accept through
 * `applyRecord`, and compares the findings with the wear the simulator actually applied.
 *
 * Wear is accelerated (`degradationScale`) so that days of wear happen in hours; the predictor's
 * time constants (horizon, window ages) are divided by the same factor, while the physical ones
 * (tyres cooling down, `restMinutes`) are not — they do not speed up.
 *
 * A finding raised at t is right when the component really crossed its threshold by
 * t + horizon. Findings are counted up to `end − horizon`, so that the truth at `end` knows the
 * answer for every one of them. A component is a positive when it crossed by `end` (recurring
 * codes: by `end − horizon`, as a recurrence cannot be foreseen), and found when any finding
 * named it.
 */
import { DAY_MS, decodeDeviceMessage, type FleetRecord } from '@fleetwire/protocol';
import { createFleetModel, resolveWorldSettings, type FaultSettings, type WorldSettings } from '@fleetwire/simulators';
import { applyRecord, createMaintenancePredictor, type Raised } from '../../src/services/maintenance/maintenance-predictor.js';
import type { PredictionSettings } from '../../src/services/maintenance/settings.js';

export interface FleetScenario {
  seed: number;
  vehicles: number;
  chargers: number;
  hours: number;
  world: Partial<WorldSettings>;
  faults: FaultSettings;
  settings: PredictionSettings;
}

export interface ComponentScore {
  findings: number;
  correct: number;
  positives: number;
  found: number;
  precision: number;
  recall: number;
}

export type ComponentClass = 'tyre' | 'aux_battery' | 'traction_battery' | 'dtc';
export const COMPONENT_CLASSES: readonly ComponentClass[] = ['tyre', 'aux_battery', 'traction_battery', 'dtc'];

const STEP_MS = 60_000;
const START = Date.UTC(2025, 5, 2, 0, 0, 0);

export function classOf(component: string): ComponentClass {
  if (component.startsWith('tyre_')) return 'tyre';
  if (component.startsWith('dtc_')) return 'dtc';
  return component as ComponentClass;
}

export async function scoreScenario(scenario: FleetScenario): Promise<{ scores: Record<ComponentClass, ComponentScore>; raised: Raised[] }> {
  const model = createFleetModel({
    seed: scenario.seed,
    startTime: START,
    vehicles: scenario.vehicles,
    chargers: scenario.chargers,
    settings: resolveWorldSettings(scenario.world),
    faults: scenario.faults,
  });
  const predictor = createMaintenancePredictor(scenario.settings);
  const end = START + scenario.hours * 3_600_000;
  const horizonMs = scenario.settings.horizonDays * DAY_MS;
  const raised: Raised[] = [];
  const feed = (record: FleetRecord): void => {
    for (const r of applyRecord(predictor, record).raised) if (r.assessment.at <= end - horizonMs) raised.push(r);
  };
  for (let steps = 1; model.world.time < end; steps += 1) {
    // Tens of seconds of pure computation: the test runner's worker must still answer its RPC
    // (a minute without an answer fails the run), so the loop yields now and then.
    if (steps % 60 === 0) await new Promise((resolve) => setImmediate(resolve));
    const step = model.advance(STEP_MS);
    for (const message of step.messages) {
      const verdict = decodeDeviceMessage({
        topic: message.topic, bytes: message.bytes, identity: { role: 'device', kind: message.device.kind, deviceId: message.device.id },
        receivedAt: message.simTime, maxBytes: 65_536, maxClockSkewMs: 300_000,
      });
      // Quarantined at the edge: never on the bus. Copies are the same bytes, delivered twice.
      if (!verdict.ok) continue;
      for (const reading of verdict.value.readings) {
        if (!reading.ok || reading.record.id === undefined) continue;
        for (let copy = 0; copy < message.copies; copy += 1) feed(reading.record as FleetRecord);
      }
    }
  }

  const due = new Map<string, number>();
  for (const vehicle of model.groundTruth()) {
    for (const m of vehicle.maintenance) if (m.dueAt !== null) due.set(`${vehicle.vehicleId}/${m.component}`, Date.parse(m.dueAt));
  }
  const scores = Object.fromEntries(COMPONENT_CLASSES.map((c) => [c, { findings: 0, correct: 0, positives: 0, found: 0, precision: 1, recall: 1 }])) as Record<ComponentClass, ComponentScore>;
  const named = new Set<string>();
  for (const r of raised) {
    const key = `${r.vehicleId}/${r.assessment.component}`;
    const score = scores[classOf(r.assessment.component)];
    score.findings += 1;
    const dueAt = due.get(key);
    if (dueAt !== undefined && dueAt <= r.assessment.at + horizonMs) score.correct += 1;
    named.add(key);
  }
  for (const [key, dueAt] of due) {
    const componentClass = classOf(key.slice(key.indexOf('/') + 1));
    if (dueAt > (componentClass === 'dtc' ? end - horizonMs : end)) continue;
    const score = scores[componentClass];
    score.positives += 1;
    if (named.has(key)) score.found += 1;
  }
  for (const score of Object.values(scores)) {
    score.precision = score.findings === 0 ? 1 : score.correct / score.findings;
    score.recall = score.positives === 0 ? 1 : score.found / score.positives;
  }
  return { scores, raised };
}
