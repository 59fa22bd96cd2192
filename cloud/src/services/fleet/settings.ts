/**
 * The fleet state service's settings, with their documented defaults. The cloud config embeds
 * this schema under `fleet`; unknown keys are refused like everywhere else in the config.
 */
import { Type, type Static } from '@sinclair/typebox';
import { checkpointOptions } from '../checkpointed/checkpoint-settings.js';

export const FLEET_GROUP_ID = 'fleetwire-fleet-state';

export const FleetSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'run the fleet state service, its API and the dashboard' }),
    readToken: Type.Optional(
      Type.String({
        minLength: 16,
        description: 'bearer token for the read-only fleet API; absent = open to whoever reaches http.host',
      }),
    ),
    maxRecentEvents: Type.Integer({ minimum: 1, maximum: 10_000, default: 200, description: 'recent events kept in memory' }),
    offlineAfterMs: Type.Integer({
      minimum: 1000,
      default: 300_000,
      description: 'a vehicle or charger not heard of (edge receive time) for this long counts as offline',
    }),
    lowBatteryPct: Type.Number({ minimum: 0, maximum: 100, default: 20, description: 'state of charge below which a vehicle counts as low' }),
    groupId: Type.String({ minLength: 1, default: FLEET_GROUP_ID, description: 'consumer group every instance of the fleet service joins (they share the partitions)' }),
    ...checkpointOptions(),
  },
  { additionalProperties: false, default: {} },
);

export type FleetSettings = Static<typeof FleetSettingsSchema>;

/** What the views need to judge a vehicle or charger at read time. */
export type FleetJudgement = Pick<FleetSettings, 'offlineAfterMs' | 'lowBatteryPct'>;
