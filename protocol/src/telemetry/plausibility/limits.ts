import { Type, type Static } from '@sinclair/typebox';

/**
 * What is physically possible between two readings of one device. Every bound is generous on
 * purpose: the checks exist to catch corrupt readings (an odometer a million km ahead, a
 * battery full a second after it was empty), not to police driving.
 */
export const PlausibilityLimitsSchema = Type.Object(
  {
    /** Distance the odometer may advance per hour of elapsed device time. */
    maxSpeedKph: Type.Number({ exclusiveMinimum: 0, default: 300 }),
    /** Slack on top of the distance bound: odometer resolution and rounding. */
    odometerSlackKm: Type.Number({ minimum: 0, default: 1 }),
    /** State of charge the battery may gain per hour (about 10→80 % in 17 min). */
    maxChargePctPerHour: Type.Number({ exclusiveMinimum: 0, default: 250 }),
    /** State of charge the battery may lose per hour. */
    maxDischargePctPerHour: Type.Number({ exclusiveMinimum: 0, default: 250 }),
    /** Slack on SoC changes: BMS recalibration and rounding. */
    socSlackPct: Type.Number({ minimum: 0, default: 3 }),
    /** Energy a connector's register may count per hour, in kW. */
    maxChargerPowerKw: Type.Number({ exclusiveMinimum: 0, default: 400 }),
    /** Slack on register changes: meter resolution. */
    energySlackWh: Type.Number({ minimum: 0, default: 100 }),
    /**
     * Readings further apart than this (a vehicle off for weeks, a charger unplugged for a
     * season) are not compared: the reading starts a fresh reference (`long_gap`).
     */
    restartAfterMs: Type.Integer({ minimum: 1, default: 14 * 24 * 3_600_000 }),
    /**
     * Readings in a row that agree with each other but not with the reference after which the
     * reference moves to them (`rebased`): an odometer or meter that was replaced.
     */
    confirmAfter: Type.Integer({ minimum: 2, default: 3 }),
  },
  { additionalProperties: false },
);

export type PlausibilityLimits = Static<typeof PlausibilityLimitsSchema>;

export const DEFAULT_PLAUSIBILITY_LIMITS: Readonly<PlausibilityLimits> = Object.freeze({
  maxSpeedKph: 300,
  odometerSlackKm: 1,
  maxChargePctPerHour: 250,
  maxDischargePctPerHour: 250,
  socSlackPct: 3,
  maxChargerPowerKw: 400,
  energySlackWh: 100,
  restartAfterMs: 14 * 24 * 3_600_000,
  confirmAfter: 3,
});

/**
 * Register sizes a charger's energy meter may wrap at: decimal displays of 5 to 12 digits (Wh)
 * and a 32-bit counter. A decrease is a rollover only when the old value sat just below one of
 * them and the wrapped difference is itself plausible.
 */
export const REGISTER_MODULI_WH: readonly number[] = [1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 2 ** 32].sort((a, b) => a - b);
