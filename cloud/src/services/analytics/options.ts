import { randomUUID } from 'node:crypto';
import { BUS_TOPICS, DAY_MS } from '@fleetwire/protocol';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { createOptionChecks } from '../../option-checks.js';
import { CloudError } from '../../errors.js';
import type { FleetReader } from '../fleet/index.js';
import { AnalyticsRulesSchema, type AnalyticsRules } from './settings.js';

export interface AnalyticsServiceOptions extends Partial<AnalyticsRules> {
  bus: Bus;
  metrics: Registry;
  logger: Logger;
  /** The fleet service's read side; FleetStatusSnapshots are emitted only when given. */
  fleet?: FleetReader;
  /**
   * Consumer group. Default `fleetwire-analytics.{random}`: like the fleet state, the open days
   * and windows live in memory and are rebuilt from the oldest record at every start, so each
   * process needs a group of its own (a shared one would resume after offsets whose state is gone).
   */
  groupId?: string;
  /** Default: vehicle telemetry, charger telemetry and events. */
  topics?: string[];
  /** The service's clock (snapshots, and refusing records stamped in the future). Default Date.now. */
  now?: () => number;
}

export type ResolvedAnalyticsOptions = AnalyticsRules & Required<Pick<AnalyticsServiceOptions, 'bus' | 'metrics' | 'logger' | 'groupId' | 'topics' | 'now'>> & {
  fleet: FleetReader | undefined;
};

export const ANALYTICS_GROUP_PREFIX = 'fleetwire-analytics';
/** A snapshot more often than this is a typo, not a wish. */
export const MIN_SNAPSHOT_INTERVAL_MS = 1000;

export function resolveAnalyticsOptions(options: AnalyticsServiceOptions): ResolvedAnalyticsOptions {
  const check = createOptionChecks('FW_CONFIG_INVALID', 'analytics service');
  const fail = (why: string): never => {
    throw new CloudError('FW_CONFIG_INVALID', `analytics service: option ${why}`);
  };
  // The settings schema holds the ranges and defaults; a value outside them is named with its path.
  const { bus, metrics, logger, fleet, groupId, topics, now, ...given } = options;
  const rules = Value.Default(AnalyticsRulesSchema, structuredClone(given)) as AnalyticsRules;
  const problem = Value.Errors(AnalyticsRulesSchema, rules).First();
  if (problem !== undefined) fail(`${problem.path.slice(1) || '(options)'} ${problem.message.replace(/^Expected/, 'expected')}, got ${JSON.stringify(problem.value)}`);
  if (DAY_MS % rules.spikeWindowMs !== 0) fail(`spikeWindowMs must divide a day evenly (e.g. 900000, 3600000), got ${rules.spikeWindowMs}`);
  if (rules.snapshotIntervalMs !== 0 && rules.snapshotIntervalMs < MIN_SNAPSHOT_INTERVAL_MS) {
    fail(`snapshotIntervalMs must be 0 (off) or at least ${MIN_SNAPSHOT_INTERVAL_MS}, got ${rules.snapshotIntervalMs}`);
  }
  return {
    ...rules,
    bus, metrics, logger, fleet,
    groupId: check.text('groupId', groupId, `${ANALYTICS_GROUP_PREFIX}.${randomUUID()}`),
    topics: check.textList('topics', topics ?? [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry, BUS_TOPICS.events]),
    now: now ?? Date.now,
  };
}
