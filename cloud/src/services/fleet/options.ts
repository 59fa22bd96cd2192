import { randomUUID } from 'node:crypto';
import { BUS_TOPICS } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import { createOptionChecks } from '../../option-checks.js';
import { CloudError } from '../../errors.js';
import type { FleetSettings } from './settings.js';

export interface FleetServiceOptions extends Partial<Pick<FleetSettings, 'maxRecentEvents' | 'offlineAfterMs' | 'lowBatteryPct'>> {
  bus: Bus;
  metrics: Registry;
  logger: Logger;
  /**
   * Consumer group. Default `fleetwire-fleet-state.{random}`: a group of its own for every
   * process, because the state lives in memory and is rebuilt from the oldest record at each
   * start — a shared group would resume after offsets committed by an earlier process (whose
   * state is gone), and several cloud instances would split the partitions and each see only
   * part of the fleet.
   */
  groupId?: string;
  /** Default: vehicle telemetry, charger telemetry and events. */
  topics?: string[];
}

export type ResolvedFleetServiceOptions = Required<FleetServiceOptions>;

export const FLEET_GROUP_PREFIX = 'fleetwire-fleet-state';

export function resolveFleetServiceOptions(options: FleetServiceOptions): ResolvedFleetServiceOptions {
  const check = createOptionChecks('FW_CONFIG_INVALID', 'fleet service');
  const lowBatteryPct = options.lowBatteryPct ?? 20;
  if (!(lowBatteryPct >= 0 && lowBatteryPct <= 100)) {
    throw new CloudError('FW_CONFIG_INVALID', `fleet service: option lowBatteryPct must be between 0 and 100, got ${String(lowBatteryPct)}`);
  }
  return {
    ...options,
    maxRecentEvents: check.integer('maxRecentEvents', options.maxRecentEvents, 200, 1),
    offlineAfterMs: check.integer('offlineAfterMs', options.offlineAfterMs, 300_000, 1),
    lowBatteryPct,
    groupId: check.text('groupId', options.groupId, `${FLEET_GROUP_PREFIX}.${randomUUID()}`),
    topics: check.textList('topics', options.topics ?? [BUS_TOPICS.vehicleTelemetry, BUS_TOPICS.chargerTelemetry, BUS_TOPICS.events]),
  };
}
