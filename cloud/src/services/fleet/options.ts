import { BUS_TOPICS } from '@fleetwire/protocol';
import { Type, type Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { groupOfItsOwn, subscriptionOptions } from '../../bus-consumer.js';
import { checkedOptions } from '../../checked-options.js';
import { FleetSettingsSchema } from './settings.js';

export const FLEET_GROUP_PREFIX = 'fleetwire-fleet-state';

/**
 * The settings of the config's `fleet` section the service uses, and its subscription. The
 * group defaults to `fleetwire-fleet-state.{random}`, one for every process: the state lives in
 * memory and is rebuilt from the oldest record at each start — a shared group would resume
 * after offsets committed by an earlier process (whose state is gone), and several cloud
 * instances would split the partitions and each see only part of the fleet.
 */
const FleetServiceSettingsSchema = Type.Object(
  {
    ...Type.Pick(FleetSettingsSchema, ['maxRecentEvents', 'offlineAfterMs', 'lowBatteryPct']).properties,
    ...subscriptionOptions(groupOfItsOwn(FLEET_GROUP_PREFIX), [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry, BUS_TOPICS.events]),
  },
  { additionalProperties: false },
);

type FleetServiceSettings = Static<typeof FleetServiceSettingsSchema>;

export interface FleetServiceOptions extends Partial<FleetServiceSettings> {
  bus: Bus;
  metrics: Registry;
  logger: Logger;
}

export type ResolvedFleetServiceOptions = Required<FleetServiceOptions>;

export function resolveFleetServiceOptions(options: FleetServiceOptions): ResolvedFleetServiceOptions {
  const { bus, metrics, logger, ...given } = options;
  return { ...checkedOptions(FleetServiceSettingsSchema, given, 'FW_CONFIG_INVALID', 'fleet service options'), bus, metrics, logger };
}
