import { BUS_TOPICS } from '@fleetwire/protocol';
import { Type } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { subscriptionOptions } from '../../bus-consumer.js';
import { checkedOptions } from '../../checked-options.js';
import { MAINTENANCE_GROUP_ID, MaintenanceSettingsSchema, type MaintenanceSettings } from './settings.js';

/** Sections may be given in part: what is missing takes its documented default. */
type PartialSettings = { [K in keyof MaintenanceSettings]?: MaintenanceSettings[K] extends object ? Partial<MaintenanceSettings[K]> : MaintenanceSettings[K] };

/** The group (a setting: stable, shared by every instance) is in the settings; the topics are not. */
const SubscriptionSchema = Type.Object({ topics: subscriptionOptions(MAINTENANCE_GROUP_ID, [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.events]).topics }, {
  additionalProperties: false,
});

export interface MaintenanceServiceOptions extends PartialSettings {
  bus: Bus;
  metrics: Registry;
  logger: Logger;
  /** Default: vehicle telemetry and events. */
  topics?: string[];
  /** Clock for the records' `receivedAt` (tests pin it). Default `Date.now`. */
  now?: () => number;
}

export type ResolvedMaintenanceServiceOptions = Omit<Required<MaintenanceServiceOptions>, keyof MaintenanceSettings> & { settings: MaintenanceSettings };


/** Fills the documented defaults; throws FW_CONFIG_INVALID naming every bad setting at once. */
export function resolveMaintenanceSettings(input: PartialSettings): MaintenanceSettings {
  return checkedOptions(MaintenanceSettingsSchema, input, 'FW_CONFIG_INVALID', 'maintenance settings');
}

export function resolveMaintenanceServiceOptions(options: MaintenanceServiceOptions): ResolvedMaintenanceServiceOptions {
  const { bus, metrics, logger, topics, now, ...settings } = options;
  return {
    ...checkedOptions(SubscriptionSchema, { topics }, 'FW_CONFIG_INVALID', 'maintenance service options'),
    bus,
    metrics,
    logger,
    now: now ?? Date.now,
    settings: resolveMaintenanceSettings(settings),
  };
}
