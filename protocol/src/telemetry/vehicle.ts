import { Type, type Static } from '@sinclair/typebox';
import { compileValidator, checkVersion } from '../validation.js';
import { accept, type Verdict } from '../reasons.js';
import { createTelemetryChecker, DEFAULT_UNKNOWN_FIELD_POLICY, ExtensionFieldsSchema, type TelemetryCheck, type UnknownFieldPolicy } from './unknown-fields.js';
import { GeoPointSchema, TELEMETRY_VERSIONS, telemetryHeaderFields } from './common.js';

/** OBD-II diagnostic trouble code: system letter then four hex digits, e.g. P0A80. */
export const DTC_PATTERN = '^[PCBU][0-9A-F]{4}$';

const range = (minimum: number, maximum: number) => Type.Number({ minimum, maximum });

/**
 * Vehicle telemetry, schema version 1. Only `v` and `ts` are required: a device reports what it
 * has (no tyre sensors, no 12 V monitor) and may report only what changed. Ranges mark
 * physically impossible values and are checked for every field present.
 */
export const VehicleTelemetrySchema = Type.Object(
  {
    ...telemetryHeaderFields,
    position: Type.Optional(GeoPointSchema),
    speedKph: Type.Optional(range(0, 300)),
    headingDeg: Type.Optional(range(0, 360)),
    odometerKm: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000_000 })),
    socPct: Type.Optional(range(0, 100)),
    battery: Type.Optional(
      Type.Object(
        { tempC: Type.Optional(range(-40, 90)), voltageV: Type.Optional(range(0, 1000)), currentA: Type.Optional(range(-1000, 1000)) },
        { additionalProperties: false },
      ),
    ),
    aux12vV: Type.Optional(range(0, 20)),
    tyresKpa: Type.Optional(
      Type.Object(
        { fl: Type.Optional(range(0, 600)), fr: Type.Optional(range(0, 600)), rl: Type.Optional(range(0, 600)), rr: Type.Optional(range(0, 600)) },
        { additionalProperties: false },
      ),
    ),
    locked: Type.Optional(Type.Boolean()),
    ignition: Type.Optional(Type.Boolean()),
    dtcs: Type.Optional(Type.Array(Type.String({ pattern: DTC_PATTERN }), { maxItems: 64 })),
    ext: Type.Optional(ExtensionFieldsSchema),
  },
  { additionalProperties: false },
);

export type VehicleTelemetry = Static<typeof VehicleTelemetrySchema>;

const checkVehicleFields = createTelemetryChecker(VehicleTelemetrySchema, compileValidator(VehicleTelemetrySchema));

/** Version, shape and impossible values of a parsed vehicle telemetry payload, unknown fields by `policy`. */
export function checkVehicleTelemetry(value: unknown, policy: UnknownFieldPolicy = DEFAULT_UNKNOWN_FIELD_POLICY): Verdict<TelemetryCheck<VehicleTelemetry>> {
  const version = checkVersion(value, TELEMETRY_VERSIONS);
  if (!version.ok) return version;
  return checkVehicleFields(value as Record<string, unknown>, policy);
}

/** `checkVehicleTelemetry` for callers that only want the payload. */
export function validateVehicleTelemetry(value: unknown, policy: UnknownFieldPolicy = DEFAULT_UNKNOWN_FIELD_POLICY): Verdict<VehicleTelemetry> {
  const verdict = checkVehicleTelemetry(value, policy);
  return verdict.ok ? accept(verdict.value.telemetry) : verdict;
}
