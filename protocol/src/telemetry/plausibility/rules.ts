/**
 * One rule per physical quantity: is going from the `earlier` sample to the `later` one (by
 * device time) possible? Pure functions; the caller orders the pair, so a late reading (a
 * backlog sent after live data) is judged against the reference just as strictly.
 */
import type { ReasonCode } from '../../reasons.js';
import { REGISTER_MODULI_WH, type PlausibilityLimits } from './limits.js';

export interface Sample {
  value: number;
  /** When the reading was taken by the device's clock, ms. */
  at: number;
  /** When the edge received it, ms; and whether the device clock was ahead of the edge's (see `readingClock`). */
  receivedAt?: number;
  ahead?: boolean;
  /** Charging session of an energy register sample: null = none, undefined = not reported. */
  session?: string | null;
}

/** A break in a quantity's history that is accepted and counted, never silently smoothed over. */
export const DISCONTINUITIES = ['long_gap', 'rebased', 'register_reset', 'register_rollover'] as const;
export type Discontinuity = (typeof DISCONTINUITIES)[number];

export type Judgement =
  | { plausible: true; discontinuity?: Discontinuity }
  | { plausible: false; reason: ReasonCode; detail: string };

export type QuantityRule = (earlier: Sample, later: Sample, limits: PlausibilityLimits) => Judgement;

const PLAUSIBLE: Judgement = { plausible: true };
const HOUR_MS = 3_600_000;
const hoursBetween = (earlier: Sample, later: Sample) => (later.at - earlier.at) / HOUR_MS;
const seconds = (earlier: Sample, later: Sample) => `${((later.at - earlier.at) / 1000).toFixed(1)} s`;
const implausible = (reason: ReasonCode, detail: string): Judgement => ({ plausible: false, reason, detail });

/** An odometer never runs backwards and advances no faster than the fastest car drives. */
export const odometerRule: QuantityRule = (earlier, later, limits) => {
  const km = later.value - earlier.value;
  if (km < 0) return implausible('odometer_backwards', `odometer went from ${earlier.value} km to ${later.value} km`);
  const reach = limits.maxSpeedKph * hoursBetween(earlier, later) + limits.odometerSlackKm;
  if (km > reach) {
    return implausible('odometer_jump', `odometer went from ${earlier.value} km to ${later.value} km in ${seconds(earlier, later)} (at most ${reach.toFixed(1)} km at ${limits.maxSpeedKph} km/h)`);
  }
  return PLAUSIBLE;
};

/** State of charge changes no faster than the battery can be charged or drained. */
export const socRule: QuantityRule = (earlier, later, limits) => {
  const pct = later.value - earlier.value;
  const rate = pct >= 0 ? limits.maxChargePctPerHour : limits.maxDischargePctPerHour;
  const reach = rate * hoursBetween(earlier, later) + limits.socSlackPct;
  if (Math.abs(pct) > reach) {
    return implausible('soc_jump', `state of charge went from ${earlier.value} % to ${later.value} % in ${seconds(earlier, later)} (at most ±${reach.toFixed(1)} points)`);
  }
  return PLAUSIBLE;
};

/**
 * A connector's energy register counts up within a session, no faster than the charger's
 * power. Across a session boundary it may restart (`register_reset`: meters that count per
 * session, a meter replaced between sessions); within one it may only wrap at its size
 * (`register_rollover`).
 */
export const energyRegisterRule: QuantityRule = (earlier, later, limits) => {
  const wh = later.value - earlier.value;
  const reach = limits.maxChargerPowerKw * 1000 * hoursBetween(earlier, later) + limits.energySlackWh;
  if (wh < 0) {
    const sameSession = earlier.session === undefined || later.session === undefined || earlier.session === later.session;
    if (!sameSession) return { plausible: true, discontinuity: 'register_reset' };
    const modulus = REGISTER_MODULI_WH.find((size) => size > earlier.value);
    if (modulus !== undefined && modulus - earlier.value + later.value <= reach) return { plausible: true, discontinuity: 'register_rollover' };
    return implausible('energy_backwards', `energy register went from ${earlier.value} Wh to ${later.value} Wh within session ${later.session ?? earlier.session ?? '(none)'}`);
  }
  if (wh > reach) {
    return implausible('energy_jump', `energy register went from ${earlier.value} Wh to ${later.value} Wh in ${seconds(earlier, later)} (at most ${Math.round(reach)} Wh at ${limits.maxChargerPowerKw} kW)`);
  }
  return PLAUSIBLE;
};
