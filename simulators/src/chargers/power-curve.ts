/**
 * Charging power against state of charge: constant current (the lower of the connector's and
 * the vehicle's limit) up to 80 %, then a linear taper to a tenth of that at 100 % — the CC/CV
 * shape every lithium-ion pack shows.
 */
export const TAPER_START_PCT = 80;
const TAPER_END_FRACTION = 0.1;

export function chargingPowerKw(socPct: number, limitKw: number): number {
  if (socPct >= 100 || limitKw <= 0) return 0;
  if (socPct < TAPER_START_PCT) return limitKw;
  const through = (socPct - TAPER_START_PCT) / (100 - TAPER_START_PCT);
  return limitKw * (1 - (1 - TAPER_END_FRACTION) * through);
}

/** Onboard AC charger limit of the simulated vehicles; DC bypasses it. */
export const ONBOARD_AC_LIMIT_KW = 11;
