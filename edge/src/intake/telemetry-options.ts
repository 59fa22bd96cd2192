/**
 * How the intake judges telemetry content beyond its schema: what happens to fields the schema
 * does not know, and the physical limits a reading is held to against the device's last
 * plausible one (protocol telemetry/plausibility). Config section `telemetry`; docs/edge.md
 * lists every option with its default.
 */
import {
  DEFAULT_PLAUSIBILITY_LIMITS,
  DEFAULT_UNKNOWN_FIELD_POLICY,
  PlausibilityLimitsSchema,
  UNKNOWN_FIELD_POLICIES,
  type PlausibilityLimits,
  type UnknownFieldPolicy,
} from '@fleetwire/protocol';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EdgeError } from '../errors.js';

export const TelemetryOptionsSchema = Type.Object(
  {
    /** `keep` (under `ext`), `drop` (counted), `refuse` (quarantined as schema_violation). */
    unknownFields: Type.Union(UNKNOWN_FIELD_POLICIES.map((policy) => Type.Literal(policy)), { default: DEFAULT_UNKNOWN_FIELD_POLICY }),
    plausibility: Type.Object(
      { enabled: Type.Boolean({ default: true }), ...PlausibilityLimitsSchema.properties },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export interface TelemetryOptions {
  unknownFields: UnknownFieldPolicy;
  /** undefined when the physics checks are switched off. */
  plausibility: PlausibilityLimits | undefined;
}

export const DEFAULT_TELEMETRY_OPTIONS: TelemetryOptions = { unknownFields: DEFAULT_UNKNOWN_FIELD_POLICY, plausibility: DEFAULT_PLAUSIBILITY_LIMITS };

/** The section with its defaults filled in; every problem listed at once (`FW_CONFIG_INVALID`). */
export function resolveTelemetryOptions(input: unknown = {}): TelemetryOptions {
  const section: unknown = Value.Default(TelemetryOptionsSchema, structuredClone(input));
  if (!Value.Check(TelemetryOptionsSchema, section)) {
    const problems = [...Value.Errors(TelemetryOptionsSchema, section)].map((error) => `config.telemetry${error.path.replace(/\//g, '.')}: ${error.message}`);
    throw new EdgeError('FW_CONFIG_INVALID', `invalid telemetry options:\n  ${problems.join('\n  ')}`);
  }
  const { enabled, ...limits } = section.plausibility;
  return { unknownFields: section.unknownFields, plausibility: enabled ? limits : undefined };
}
