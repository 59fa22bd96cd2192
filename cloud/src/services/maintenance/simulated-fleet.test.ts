/**
 * Quality against the simulator's ground truth, on seed 2027 — held out: the predictor was
 * tuned on seeds 101 and 102 only. The figures asserted here are the floors stated in
 * docs/maintenance.md ("Model card"). The run is deterministic, so a drop below them is a real
 * change in the predictor or the simulator, not noise.
 */
import { describe, expect, it } from 'vitest';
import { resolveMaintenanceSettings } from './options.js';
import type { PredictionSettings } from './settings.js';
import { scoreScenario } from '../../../test/support/simulated-fleet.js';

/** Wear runs ten times as fast: two simulated days hold about three weeks of wear. */
const SCALE = 10;

/** The defaults, with every time constant of wear divided by the acceleration. */
function acceleratedDefaults(scale: number): PredictionSettings {
  const { enabled: _enabled, ...d } = resolveMaintenanceSettings({});
  return {
    ...d,
    horizonDays: d.horizonDays / scale,
    tyre: { ...d.tyre, windowDays: d.tyre.windowDays / scale, minSpanDays: d.tyre.minSpanDays / scale },
    auxBattery: { ...d.auxBattery, windowDays: d.auxBattery.windowDays / scale, minSpanDays: d.auxBattery.minSpanDays / scale },
    tractionBattery: { ...d.tractionBattery, windowDays: d.tractionBattery.windowDays / scale },
    faults: { ...d.faults, windowDays: d.faults.windowDays / scale },
  };
}

describe('maintenance prediction against the simulated fleet (held-out seed 2027)', () => {
  it('finds the tyres, 12 V batteries and recurring codes that really need attention within the horizon', async () => {
    const { scores } = await scoreScenario({
      seed: 2027,
      vehicles: 40,
      chargers: 14,
      hours: 48,
      // Sparser telemetry than the default keeps the run short; charger telemetry is not read.
      world: { degradationScale: SCALE, bookingsPerHour: 2, telemetryIntervalMs: 15_000, parkedTelemetryIntervalMs: 60_000, chargerTelemetryIntervalMs: 60_000 },
      // Clock-skewed devices, duplicates and reordering, as the bus would carry them.
      faults: { skew: 0.1, dupes: 0.02, reorder: 0.02 },
      settings: acceleratedDefaults(SCALE),
    });
    expect(scores.tyre.positives).toBeGreaterThanOrEqual(5);
    expect(scores.tyre.precision).toBeGreaterThanOrEqual(0.9);
    expect(scores.tyre.recall).toBeGreaterThanOrEqual(0.9);
    expect(scores.aux_battery.positives).toBeGreaterThanOrEqual(1);
    expect(scores.aux_battery.precision).toBeGreaterThanOrEqual(0.8);
    expect(scores.aux_battery.recall).toBeGreaterThanOrEqual(0.8);
    expect(scores.dtc.positives).toBeGreaterThanOrEqual(1);
    expect(scores.dtc.precision).toBeGreaterThanOrEqual(0.8);
    expect(scores.dtc.recall).toBeGreaterThanOrEqual(0.8);
  }, 180_000);
});
