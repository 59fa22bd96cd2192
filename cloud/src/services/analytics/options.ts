import { BUS_TOPICS, DAY_MS, problemList } from '@fleetwire/protocol';
import { Type } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { subscriptionOptions } from '../../bus-consumer.js';
import { checkedOptions } from '../../checked-options.js';
import { CloudError } from '../../errors.js';
import type { FleetReader } from '../fleet/index.js';
import type { CheckpointSettings } from '../checkpointed/checkpoint-settings.js';
import { ANALYTICS_GROUP_ID, AnalyticsRulesSchema, analyticsScaling, type AnalyticsRules } from './settings.js';
/** A snapshot more often than this is a typo, not a wish. */
export const MIN_SNAPSHOT_INTERVAL_MS = 1000;

/**
 * The rules (the config's `analytics` section), the stable groups and checkpoints, and the
 * topics. Every instance joins the same groups: the state is checkpointed per partition.
 */
const AnalyticsServiceSettingsSchema = Type.Object(
  {
    ...AnalyticsRulesSchema.properties,
    ...analyticsScaling(),
    topics: subscriptionOptions(ANALYTICS_GROUP_ID, [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry, BUS_TOPICS.events]).topics,
  },
  { additionalProperties: false },
);

export interface AnalyticsServiceOptions extends Partial<AnalyticsRules>, Partial<CheckpointSettings> {
  bus: Bus;
  metrics: Registry;
  logger: Logger;
  /** The fleet service's read side; FleetStatusSnapshots are emitted only when given. */
  fleet?: FleetReader;
  /** The first stage's consumer group (the second joins `{groupId}-reports`). Default `fleetwire-analytics`. */
  groupId?: string;
  /** Default: vehicle telemetry, charger telemetry and events. */
  topics?: string[];
  /** The service's clock (snapshots, and refusing records stamped in the future). Default Date.now. */
  now?: () => number;
}

export type ResolvedAnalyticsOptions = AnalyticsRules & CheckpointSettings & Required<Pick<AnalyticsServiceOptions, 'bus' | 'metrics' | 'logger' | 'groupId' | 'topics' | 'now'>> & {
  fleet: FleetReader | undefined;
};

const WHAT = 'analytics service options';

/** What the schema cannot say: relations the decisions rely on. */
function ruleProblems(rules: AnalyticsRules): string[] {
  const problems: string[] = [];
  if (DAY_MS % rules.spikeWindowMs !== 0) problems.push(`/spikeWindowMs: must divide a day evenly (e.g. 900000, 3600000), got ${rules.spikeWindowMs}`);
  if (rules.snapshotIntervalMs !== 0 && rules.snapshotIntervalMs < MIN_SNAPSHOT_INTERVAL_MS) {
    problems.push(`/snapshotIntervalMs: must be 0 (off) or at least ${MIN_SNAPSHOT_INTERVAL_MS}, got ${rules.snapshotIntervalMs}`);
  }
  return problems;
}

export function resolveAnalyticsOptions(options: AnalyticsServiceOptions): ResolvedAnalyticsOptions {
  const { bus, metrics, logger, fleet, now, ...given } = options;
  const settings = checkedOptions(AnalyticsServiceSettingsSchema, given, 'FW_CONFIG_INVALID', WHAT);
  const problems = ruleProblems(settings);
  if (problems.length > 0) throw new CloudError('FW_CONFIG_INVALID', problemList(WHAT, problems));
  return { ...settings, bus, metrics, logger, fleet, now: now ?? Date.now };
}
