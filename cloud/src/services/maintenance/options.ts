import { randomUUID } from 'node:crypto';
import { BUS_TOPICS, problemList, schemaProblems } from '@fleetwire/protocol';
import { Value } from '@sinclair/typebox/value';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { createOptionChecks } from '../../option-checks.js';
import { CloudError } from '../../errors.js';
import { MaintenanceSettingsSchema, type MaintenanceSettings } from './settings.js';

/** Sections may be given in part: what is missing takes its documented default. */
type PartialSettings = { [K in keyof MaintenanceSettings]?: MaintenanceSettings[K] extends object ? Partial<MaintenanceSettings[K]> : MaintenanceSettings[K] };

export interface MaintenanceServiceOptions extends PartialSettings {
  bus: Bus;
  metrics: Registry;
  logger: Logger;
  /**
   * Consumer group. Default `fleetwire-maintenance.{random}`: a group of its own for every
   * process, because the rolling features live in memory and are rebuilt from the oldest record
   * at each start (as the fleet service does; see docs/maintenance.md).
   */
  groupId?: string;
  /** Default: vehicle telemetry and events. */
  topics?: string[];
  /** Clock for the records' `receivedAt` (tests pin it). Default `Date.now`. */
  now?: () => number;
}

export type ResolvedMaintenanceServiceOptions = Omit<Required<MaintenanceServiceOptions>, keyof MaintenanceSettings> & { settings: MaintenanceSettings };

export const MAINTENANCE_GROUP_PREFIX = 'fleetwire-maintenance';

/** Fills the documented defaults; throws FW_CONFIG_INVALID naming every bad setting at once. */
export function resolveMaintenanceSettings(input: PartialSettings): MaintenanceSettings {
  const value = Value.Default(MaintenanceSettingsSchema, structuredClone(input)) as unknown;
  const problems = schemaProblems(MaintenanceSettingsSchema, value);
  if (problems.length > 0 || !Value.Check(MaintenanceSettingsSchema, value)) {
    throw new CloudError('FW_CONFIG_INVALID', problemList('maintenance settings', problems.length > 0 ? problems : ['/: invalid']));
  }
  return value;
}

export function resolveMaintenanceServiceOptions(options: MaintenanceServiceOptions): ResolvedMaintenanceServiceOptions {
  const { bus, metrics, logger, groupId, topics, now, ...settings } = options;
  const check = createOptionChecks('FW_CONFIG_INVALID', 'maintenance service');
  return {
    bus,
    metrics,
    logger,
    groupId: check.text('groupId', groupId, `${MAINTENANCE_GROUP_PREFIX}.${randomUUID()}`),
    topics: check.textList('topics', topics ?? [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.events]),
    now: now ?? Date.now,
    settings: resolveMaintenanceSettings(settings),
  };
}
