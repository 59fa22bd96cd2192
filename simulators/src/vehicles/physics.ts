/**
 * The physics of a small city EV, as plain functions: power drawn at a speed and temperature,
 * pack voltage, battery and tyre temperatures, the 12 V battery. Numbers are those of a
 * 40–80 kWh compact (≈ 130 Wh/km at 50 km/h in mild weather), simple but shaped like the real
 * thing: drag grows with speed², cold costs heating and internal resistance.
 */
import { HOUR_MS } from '@fleetwire/protocol';

/** Auxiliary draw with the ignition on: electronics plus cabin heating or cooling. */
export function auxiliaryKw(ambientC: number): number {
  return 0.25 + 0.09 * Math.abs(ambientC - 21);
}

/** Traction energy per km: rolling + drivetrain losses, aerodynamic drag ∝ v², worse when the pack is cold. */
export function tractionWhPerKm(speedKph: number, batteryTempC: number): number {
  const coldPenalty = 1 + 0.01 * Math.max(0, 15 - batteryTempC);
  return (105 + 0.0095 * speedKph * speedKph) * coldPenalty;
}

/** Power drawn from the pack while driving (never negative: no regeneration is modelled). */
export function drivingPowerKw(speedKph: number, ambientC: number, batteryTempC: number): number {
  return (speedKph * tractionWhPerKm(speedKph, batteryTempC)) / 1000 + auxiliaryKw(ambientC);
}

/** Pack terminal voltage: open-circuit voltage rising with SoC, minus the drop over the internal resistance. */
export function packVoltageV(nominalV: number, socPct: number, currentA: number): number {
  const openCircuit = nominalV * (0.88 + 0.0022 * socPct);
  return openCircuit - currentA * 0.09;
}

/** Pack current for a power (positive = discharge), from the open-circuit voltage. */
export function packCurrentA(nominalV: number, socPct: number, powerKw: number): number {
  return (powerKw * 1000) / (nominalV * (0.88 + 0.0022 * socPct));
}

/** Pack temperature after dt: relaxes toward ambient, warmed by the power flowing through it. */
export function nextBatteryTempC(tempC: number, ambientC: number, powerKw: number, dtS: number): number {
  const relaxation = ((ambientC - tempC) * dtS) / 2400;
  const heating = Math.abs(powerKw) * 0.00018 * dtS;
  return tempC + relaxation + heating;
}

/** How warm the tyres are in [0, 1]: warms over ~10 min of driving, cools over ~30 min parked. */
export function nextTyreWarmth(warmth: number, driving: boolean, dtS: number): number {
  const target = driving ? 1 : 0;
  const tau = driving ? 600 : 1800;
  return warmth + (target - warmth) * (1 - Math.exp(-dtS / tau));
}

/** Gauge pressure read by a tyre sensor: cold pressure scaled by air and tyre temperature. */
export function tyreReadingKpa(coldKpa: number, ambientC: number, warmth: number): number {
  return coldKpa * ((273 + ambientC) / 293) * (1 + 0.07 * warmth);
}

/** 12 V rail: the DC-DC converter holds ~14.1 V with the ignition on; otherwise the battery's resting voltage. */
export function aux12vReadingV(ignition: boolean, restV: number): number {
  return ignition ? 14.1 : restV;
}

/** Ambient temperature: a daily sine around the mean, coldest at 05:00 and warmest at 17:00 local sun time. */
export function ambientC(time: number, meanC: number, swingC: number): number {
  const hour = (time / HOUR_MS) % 24;
  return meanC + swingC * Math.sin(((hour - 11) / 24) * 2 * Math.PI);
}
