import { Type, type Static } from '@sinclair/typebox';
import { compileValidator, checkVersion } from '../validation.js';
import { accept, type Verdict } from '../reasons.js';
import { createTelemetryChecker, DEFAULT_UNKNOWN_FIELD_POLICY, ExtensionFieldsSchema, type TelemetryCheck, type UnknownFieldPolicy } from './unknown-fields.js';
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

/**
 * Charger telemetry, schema version 1 (one connector per message). Only `v` and `ts` are
 * required; every measurement is optional and range-checked when present. Without
 * `connectorId` the reading is about the charge point as a whole (OCPP connector 0).
 */
export const ChargerTelemetrySchema = Type.Object(
  {
    ...telemetryHeaderFields,
    /** The site the charger stands at; a bounded-cardinality tag in the time-series DB. */
    siteId: Type.Optional(DeviceIdSchema),
    connectorId: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
    status: Type.Optional(ChargerStatusSchema),
    powerKw: Type.Optional(range(0, 400)),
    /** Meter register; counts up within a session (see plausibility/rules.ts). */
    energyWh: Type.Optional(Type.Number({ minimum: 0 })),
    voltageV: Type.Optional(range(0, 1000)),
    currentA: Type.Optional(range(0, 1000)),
    tempC: Type.Optional(range(-40, 120)),
    /** Vehicle state of charge as the charger sees it (OCPP MeterValues `SoC`). */
    socPct: Type.Optional(range(0, 100)),
    sessionId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    errorCode: Type.Optional(ChargerErrorCodeSchema),
    ext: Type.Optional(ExtensionFieldsSchema),
  },
  { additionalProperties: false },
);

export type ChargerTelemetry = Static<typeof ChargerTelemetrySchema>;

const checkChargerFields = createTelemetryChecker(ChargerTelemetrySchema, compileValidator(ChargerTelemetrySchema));

export function checkChargerTelemetry(value: unknown, policy: UnknownFieldPolicy = DEFAULT_UNKNOWN_FIELD_POLICY): Verdict<TelemetryCheck<ChargerTelemetry>> {
  const version = checkVersion(value, TELEMETRY_VERSIONS);
  if (!version.ok) return version;
  return checkChargerFields(value as Record<string, unknown>, policy);
}

export function validateChargerTelemetry(value: unknown, policy: UnknownFieldPolicy = DEFAULT_UNKNOWN_FIELD_POLICY): Verdict<ChargerTelemetry> {
  const verdict = checkChargerTelemetry(value, policy);
  return verdict.ok ? accept(verdict.value.telemetry) : verdict;
}
