import { describe, expect, it } from 'vitest';
import { INITIAL_BATTERY_LOW_STATE, stepBatteryLow } from './battery-low.js';

const OPTIONS = { thresholdPct: 20, hysteresisPct: 5 };

function run(readings: number[]): boolean[] {
  let state = INITIAL_BATTERY_LOW_STATE;
  return readings.map((soc) => {
    const step = stepBatteryLow(state, soc, OPTIONS);
    state = step.state;
    return step.fired;
  });
}

describe('BatteryLow with hysteresis', () => {
  it('fires once when SoC falls below the threshold', () => {
    expect(run([30, 25, 20, 19.9, 18, 15])).toEqual([false, false, false, true, false, false]);
  });

  it('does not fire again while SoC hovers around the threshold', () => {
    expect(run([21, 19.5, 20.5, 19.8, 24.9, 19])).toEqual([false, true, false, false, false, false]);
  });

  it('re-arms at threshold + hysteresis and fires on the next crossing', () => {
    expect(run([19, 25, 19, 30, 10])).toEqual([true, false, true, false, true]);
  });

  it('fires for a vehicle first seen already low', () => {
    expect(run([5])).toEqual([true]);
  });
});
