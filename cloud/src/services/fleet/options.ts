import { BUS_TOPICS } from '@fleetwire/protocol';
import { Type, type Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { subscriptionOptions } from '../../bus-consumer.js';
import { checkedOptions } from '../../checked-options.js';
import { FLEET_GROUP_ID, FleetSettingsSchema } from './settings.js';

/**
 * The settings of the config's `fleet` section the service uses, and its subscription. The
 * group is stable (`fleetwire-fleet-state`): every instance joins it and they share the
 * partitions, each partition's state checkpointed (docs/cloud.md, "Scaling and restarts").
 */
const FleetServiceSettingsSchema = Type.Object(
  {
    ...Type.Omit(FleetSettingsSchema, ['enabled', 'readToken', 'groupId']).properties,
    ...subscriptionOptions(FLEET_GROUP_ID, [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry, BUS_TOPICS.events]),
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
