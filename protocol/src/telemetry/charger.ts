import { Type, type Static } from '@sinclair/typebox';
import { compileValidator, checkVersion } from '../validation.js';
import type { Verdict } from '../reasons.js';
import { DeviceIdSchema } from '../ids.js';
import { TELEMETRY_VERSIONS, telemetryHeaderFields } from './common.js';

/** OCPP 1.6 ChargePointStatus. */
export const CHARGER_STATUSES = [
  'Available',
  'Preparing',
  'Charging',
  'SuspendedEVSE',
  'SuspendedEV',
  'Finishing',
  'Reserved',
  'Unavailable',
  'Faulted',
] as const;
export type ChargerStatus = (typeof CHARGER_STATUSES)[number];

/** OCPP 1.6 ChargePointErrorCode. */
export const CHARGER_ERROR_CODES = [
  'ConnectorLockFailure',
  'EVCommunicationError',
  'GroundFailure',
  'HighTemperature',
  'InternalError',
  'LocalListConflict',
  'NoError',
  'OtherError',
  'OverCurrentFailure',
  'OverVoltage',
  'PowerMeterFailure',
  'PowerSwitchFailure',
  'ReaderFailure',
  'ResetFailure',
  'UnderVoltage',
  'WeakSignal',
] as const;
export type ChargerErrorCode = (typeof CHARGER_ERROR_CODES)[number];

export const ChargerStatusSchema = Type.Union(CHARGER_STATUSES.map((status) => Type.Literal(status)));
export const ChargerErrorCodeSchema = Type.Union(CHARGER_ERROR_CODES.map((code) => Type.Literal(code)));

const range = (minimum: number, maximum: number) => Type.Number({ minimum, maximum });

/** Charger telemetry, schema version 1 (one connector per message). */
export const ChargerTelemetrySchema = Type.Object(
  {
    ...telemetryHeaderFields,
    /** The site the charger stands at; a bounded-cardinality tag in the time-series DB. */
    siteId: Type.Optional(DeviceIdSchema),
    connectorId: Type.Integer({ minimum: 1, maximum: 16 }),
    status: ChargerStatusSchema,
    powerKw: range(0, 400),
    /** Meter register; monotonic per charger. */
    energyWh: Type.Number({ minimum: 0 }),
    voltageV: range(0, 1000),
    currentA: range(0, 1000),
    tempC: range(-40, 120),
    sessionId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    errorCode: ChargerErrorCodeSchema,
  },
  { additionalProperties: false },
);

export type ChargerTelemetry = Static<typeof ChargerTelemetrySchema>;

const validateChargerShape = compileValidator(ChargerTelemetrySchema);

export function validateChargerTelemetry(value: unknown): Verdict<ChargerTelemetry> {
  const version = checkVersion(value, TELEMETRY_VERSIONS);
  if (!version.ok) return version;
  return validateChargerShape(value);
}
