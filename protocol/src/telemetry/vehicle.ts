import { Type, type Static } from '@sinclair/typebox';
import { compileValidator, checkVersion } from '../validation.js';
import { accept, reject, type Verdict } from '../reasons.js';
import { GeoPointSchema, TELEMETRY_VERSIONS, telemetryHeaderFields } from './common.js';

/** OBD-II diagnostic trouble code: system letter then four hex digits, e.g. P0A80. */
export const DTC_PATTERN = '^[PCBU][0-9A-F]{4}$';

const range = (minimum: number, maximum: number) => Type.Number({ minimum, maximum });

/** Vehicle telemetry, schema version 1. Ranges mark physically impossible values. */
export const VehicleTelemetrySchema = Type.Object(
  {
    ...telemetryHeaderFields,
    position: GeoPointSchema,
    speedKph: range(0, 300),
    headingDeg: range(0, 360),
    odometerKm: Type.Number({ minimum: 0, maximum: 10_000_000 }),
    socPct: range(0, 100),
    battery: Type.Object(
      { tempC: range(-40, 90), voltageV: range(0, 1000), currentA: range(-1000, 1000) },
      { additionalProperties: false },
    ),
    aux12vV: range(0, 20),
    tyresKpa: Type.Object(
      { fl: range(0, 600), fr: range(0, 600), rl: range(0, 600), rr: range(0, 600) },
      { additionalProperties: false },
    ),
    locked: Type.Boolean(),
    ignition: Type.Boolean(),
    dtcs: Type.Array(Type.String({ pattern: DTC_PATTERN }), { maxItems: 64 }),
  },
  { additionalProperties: false },
);

export type VehicleTelemetry = Static<typeof VehicleTelemetrySchema>;

const validateVehicleShape = compileValidator(VehicleTelemetrySchema);

/** Version, shape and impossible values of a parsed vehicle telemetry payload. */
export function validateVehicleTelemetry(value: unknown): Verdict<VehicleTelemetry> {
  const version = checkVersion(value, TELEMETRY_VERSIONS);
  if (!version.ok) return version;
  return validateVehicleShape(value);
}

export interface OdometerReading {
  km: number;
  /** Device time of the reading, ms. */
  at: number;
}

/**
 * An odometer never runs backwards in device time. `latest` is the device's newest reading by
 * device time (undefined when none); the caller keeps that state and stores what this returns.
 * A reading older than `latest` (a backlog sent after live data, a QoS 1 resend) is not judged:
 * arrival order is not reading order, and a valid late reading must not be quarantined.
 */
export function checkOdometer(latest: OdometerReading | undefined, next: OdometerReading): Verdict<OdometerReading> {
  if (latest === undefined) return accept(next);
  if (next.at < latest.at) return accept(latest);
  if (next.km < latest.km) {
    return reject('odometer_backwards', `odometer went from ${latest.km} km to ${next.km} km`);
  }
  return accept(next);
}
