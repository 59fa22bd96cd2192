/**
 * BatteryLow: fires once when a vehicle's state of charge falls below the threshold, and
 * re-arms only after it climbs back to threshold + hysteresis — so a SoC hovering around the
 * threshold (19.9, 20.1, 19.8, …) raises one alert per real crossing, not one per message.
 */

export interface BatteryLowOptions {
  /** Fire when SoC drops below this, in percent. Default 20. */
  thresholdPct: number;
  /** Re-arm once SoC is back at threshold + this many points. Default 5. */
  hysteresisPct: number;
}

/** `armed`: the next drop below the threshold fires. A vehicle first seen already low fires once. */
export interface BatteryLowState {
  armed: boolean;
}

export interface BatteryLowStep {
  state: BatteryLowState;
  fired: boolean;
}

export const INITIAL_BATTERY_LOW_STATE: BatteryLowState = { armed: true };

export function stepBatteryLow(state: BatteryLowState, socPct: number, options: BatteryLowOptions): BatteryLowStep {
  if (state.armed && socPct < options.thresholdPct) return { state: { armed: false }, fired: true };
  if (!state.armed && socPct >= options.thresholdPct + options.hysteresisPct) return { state: { armed: true }, fired: false };
  return { state, fired: false };
}
