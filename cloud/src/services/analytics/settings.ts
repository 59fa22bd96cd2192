/**
 * The analytics service's settings, with their documented defaults. The cloud config embeds this
 * schema under `analytics`; unknown keys are refused like everywhere else in the config.
 */
import { Type, type Static } from '@sinclair/typebox';
import { HOUR_MS, MINUTE_MS } from '@fleetwire/protocol';
import { checkpointOptions } from '../checkpointed/checkpoint-settings.js';

/** The first stage's group; the second stage's is this + REPORTS_GROUP_SUFFIX (docs/analytics.md). */
export const ANALYTICS_GROUP_ID = 'fleetwire-analytics';
export const REPORTS_GROUP_SUFFIX = '-reports';

/** Who reads what: every instance joins both groups, which share the partitions among them. */
export const analyticsScaling = () => ({
  groupId: Type.String({
    minLength: 1, default: ANALYTICS_GROUP_ID,
    description: `consumer group of the first stage (per input partition); the second stage (merging, emitting the reports) joins {groupId}${REPORTS_GROUP_SUFFIX}`,
  }),
  ...checkpointOptions(),
});

/** Everything the decisions use; `createAnalyticsService` takes these as options. */
const rules = {
  dailyLatenessMs: Type.Integer({
    minimum: 0, maximum: 7 * 24 * HOUR_MS, default: 2 * HOUR_MS,
    description: 'a UTC day closes (and its DailyUsageReport is emitted) once a record this much newer than its end was seen',
  }),
  idlePartitionMs: Type.Integer({
    minimum: 100, maximum: 24 * HOUR_MS, default: MINUTE_MS,
    description: 'a bus partition that delivered nothing for this long (wall clock) stops holding the event clock back',
  }),
  perSite: Type.Boolean({ default: true, description: 'besides the fleet-wide report, one DailyUsageReport per site that had activity' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$', default: 'EUR', description: 'the currency revenue is summed in; payments in others are not counted' }),
  snapshotIntervalMs: Type.Integer({
    minimum: 0, default: 5 * MINUTE_MS,
    description: 'how often a FleetStatusSnapshot is emitted from the fleet state; 0 = never (at least 1000 when set)',
  }),
  spikeWindowMs: Type.Integer({
    minimum: MINUTE_MS, maximum: 24 * HOUR_MS, default: HOUR_MS,
    description: 'booking window of the demand spike detector; must divide a day evenly (15 min, 1 h, …)',
  }),
  spikeLatenessMs: Type.Integer({
    minimum: 0, maximum: 24 * HOUR_MS, default: 5 * MINUTE_MS,
    description: 'a booking window closes once a record this much newer than its end was seen',
  }),
  spikeRatio: Type.Number({ minimum: 1, maximum: 1000, default: 2, description: 'a window with at least this many times its baseline bookings is a spike' }),
  spikeMinBookings: Type.Integer({ minimum: 1, default: 5, description: 'fewer bookings than this in a window are never a spike' }),
  spikeMinBaseline: Type.Number({
    exclusiveMinimum: 0, default: 1, description: 'the baseline never counts as lower than this, so a quiet window does not divide by almost nothing',
  }),
  spikeSmoothing: Type.Number({
    exclusiveMinimum: 0, maximum: 1, default: 0.3,
    description: 'weight of the newest day in the baseline (exponentially weighted mean of the same window on past days)',
  }),
  spikeWarmupDays: Type.Integer({ minimum: 1, maximum: 365, default: 3, description: 'days of history an area needs before its windows are judged' }),
  maxStoredReports: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'daily reports kept in memory for the read API' }),
};

export const AnalyticsRulesSchema = Type.Object(rules, { additionalProperties: false, default: {} });

export const AnalyticsSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'run the analytics service (daily usage reports, fleet snapshots, demand spikes)' }),
    ...rules,
    ...analyticsScaling(),
  },
  { additionalProperties: false, default: {} },
);

export type AnalyticsSettings = Static<typeof AnalyticsSettingsSchema>;
export type AnalyticsRules = Static<typeof AnalyticsRulesSchema>;
