/**
 * The dashboard's settings (the cloud config's `dashboard` section), with their documented
 * defaults. The dashboard runs with the fleet service (`fleet.enabled`) and is guarded by its
 * read token.
 */
import { Type, type Static } from '@sinclair/typebox';

export const DashboardSettingsSchema = Type.Object(
  {
    historyPointsPerVehicle: Type.Integer({
      minimum: 10, maximum: 100_000, default: 720,
      description: 'chart points kept in memory per vehicle when no tsdb is configured (and the most a history answer holds)',
    }),
    spikesPerSite: Type.Integer({ minimum: 1, maximum: 1000, default: 20, description: 'newest demand spikes kept per site' }),
    mapFile: Type.Optional(Type.String({ minLength: 1, description: 'site areas and return zones drawn under the vehicle positions (dashboard/site-map.ts)' })),
    tsdbTimeoutMs: Type.Integer({ minimum: 100, default: 5000, description: 'how long a history query to the tsdb may take' }),
  },
  { additionalProperties: false, default: {} },
);

export type DashboardSettings = Static<typeof DashboardSettingsSchema>;
