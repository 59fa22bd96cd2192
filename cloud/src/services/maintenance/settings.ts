/**
 * The maintenance prediction service's settings, with their documented defaults (see
 * docs/maintenance.md). The cloud config embeds this schema under `maintenance`; unknown keys
 * are refused like everywhere else in the config. The defaults follow the simulator's
 * attention thresholds, which are the usual workshop limits for a compact EV.
 */
import { Type, type Static } from '@sinclair/typebox';
import { checkpointOptions, type CheckpointSettings } from '../checkpointed/checkpoint-settings.js';

export const MAINTENANCE_GROUP_ID = 'fleetwire-maintenance';

const section = { additionalProperties: false, default: {} } as const;
const days = (fallback: number, description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 3650, default: fallback, description });
const count = (fallback: number, minimum: number, description: string) => Type.Integer({ minimum, maximum: 10_000, default: fallback, description });

export const TyreSettingsSchema = Type.Object(
  {
    thresholdKpa: Type.Number({ minimum: 0, maximum: 600, default: 210, description: 'cold pressure under which a tyre needs attention' }),
    referenceTempC: Type.Number({ minimum: -40, maximum: 60, default: 20, description: 'temperature readings are normalised to (the cold-pressure reference)' }),
    windowReadings: count(144, 3, 'readings kept per tyre (and rested ones for the common level), spread evenly over windowDays'),
    windowDays: days(3, 'age of the oldest reading kept'),
    minSpanDays: Type.Number({ minimum: 0, maximum: 3650, default: 0.5, description: 'readings must span this long before a trend is trusted' }),
  },
  section,
);

export const AuxBatterySettingsSchema = Type.Object(
  {
    thresholdV: Type.Number({ minimum: 0, maximum: 20, default: 12.2, description: '12 V resting voltage under which the battery needs replacing' }),
    windowReadings: count(144, 3, 'rested readings kept, spread evenly over windowDays'),
    windowDays: days(7, 'age of the oldest reading kept'),
    minSpanDays: Type.Number({ minimum: 0, maximum: 3650, default: 1, description: 'readings must span this long before a trend is trusted' }),
  },
  section,
);

export const TractionBatterySettingsSchema = Type.Object(
  {
    thresholdPct: Type.Number({ minimum: 0, maximum: 100, default: 80, description: 'state of health under which the pack needs attention' }),
    chunkSocPct: Type.Number({ minimum: 0.5, maximum: 100, default: 5, description: 'trips are pooled until they used this much SoC: one capacity estimate each' }),
    referenceChunks: count(3, 1, 'the first estimates, averaged, are the pack’s 100 % reference'),
    windowChunks: count(200, 3, 'capacity estimates kept, spread evenly over windowDays'),
    windowDays: days(60, 'age of the oldest estimate kept'),
    minChunks: count(6, 3, 'estimates needed before a trend is trusted'),
  },
  section,
);

export const FaultSettingsSchema = Type.Object(
  {
    episodes: Type.Integer({ minimum: 2, maximum: 64, default: 2, description: 'separate episodes of one code within windowDays that make it recurring' }),
    windowDays: days(7, 'how far back episodes count'),
    maxCodes: count(16, 1, 'codes followed per vehicle; past it the least recently seen is forgotten'),
  },
  section,
);

export const MaintenanceSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'run the maintenance prediction service' }),
    horizonDays: days(14, 'a component predicted to need attention within this many days raises MaintenanceRequired'),
    minConfidence: Type.Number({ minimum: 0.5, maximum: 1, default: 0.8, description: 'least confidence that the trend crosses within the horizon' }),
    restMinutes: Type.Number({
      minimum: 0, maximum: 1440, default: 60,
      description: 'a parked vehicle is rested (tyres cold, 12 V at rest) this long after its ignition was last on or it last moved',
    }),
    tyre: TyreSettingsSchema,
    auxBattery: AuxBatterySettingsSchema,
    tractionBattery: TractionBatterySettingsSchema,
    faults: FaultSettingsSchema,
    groupId: Type.String({ minLength: 1, default: MAINTENANCE_GROUP_ID, description: 'consumer group every instance of the service joins (they share the partitions)' }),
    ...checkpointOptions(),
  },
  section,
);

export type MaintenanceSettings = Static<typeof MaintenanceSettingsSchema>;
/** What the predictors need: everything but whether and how the service runs. */
export type PredictionSettings = Omit<MaintenanceSettings, 'enabled' | 'groupId' | keyof CheckpointSettings>;
