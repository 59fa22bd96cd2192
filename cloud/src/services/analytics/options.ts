import { BUS_TOPICS, DAY_MS, problemList } from '@fleetwire/protocol';
import { Type } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { groupOfItsOwn, subscriptionOptions } from '../../bus-consumer.js';
import { checkedOptions } from '../../checked-options.js';
import { CloudError } from '../../errors.js';
import type { FleetReader } from '../fleet/index.js';
import { AnalyticsRulesSchema, type AnalyticsRules } from './settings.js';

export const ANALYTICS_GROUP_PREFIX = 'fleetwire-analytics';
/** A snapshot more often than this is a typo, not a wish. */
export const MIN_SNAPSHOT_INTERVAL_MS = 1000;

/**
 * The rules (the config's `analytics` section) and the subscription. The group defaults to
 * `fleetwire-analytics.{random}`: like the fleet state, the open days and windows live in memory
 * and are rebuilt from the oldest record at every start, so each process needs a group of its
 * own (a shared one would resume after offsets whose state is gone).
 */
const AnalyticsServiceSettingsSchema = Type.Object(
  {
    ...AnalyticsRulesSchema.properties,
    ...subscriptionOptions(groupOfItsOwn(ANALYTICS_GROUP_PREFIX), [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry, BUS_TOPICS.events]),
  },
  { additionalProperties: false },
);

export interface AnalyticsServiceOptions extends Partial<AnalyticsRules> {
  bus: Bus;
  metrics: Registry;
  logger: Logger;
  /** The fleet service's read side; FleetStatusSnapshots are emitted only when given. */
  fleet?: FleetReader;
  /** Consumer group. Default `fleetwire-analytics.{random}`. */
  groupId?: string;
  /** Default: vehicle telemetry, charger telemetry and events. */
  topics?: string[];
  /** The service's clock (snapshots, and refusing records stamped in the future). Default Date.now. */
  now?: () => number;
}

export type ResolvedAnalyticsOptions = AnalyticsRules & Required<Pick<AnalyticsServiceOptions, 'bus' | 'metrics' | 'logger' | 'groupId' | 'topics' | 'now'>> & {
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
