/** The physical quantities a telemetry reading carries, as samples for `judgeReading`. */
import type { PendingRecord } from '../../records.js';
import type { ChargerTelemetry } from '../charger.js';
import type { VehicleTelemetry } from '../vehicle.js';
import type { Quantity } from './judge.js';
import { energyRegisterRule, odometerRule, socRule } from './rules.js';

/** When a reading was taken and received; `ahead` when the edge flagged its device clock as ahead of its own (a reading cannot be taken after it arrived). */
export interface ReadingClock {
  at: number;
  receivedAt: number;
  ahead: boolean;
}

export function readingClock(record: Pick<PendingRecord, 'deviceTime' | 'receivedAt' | 'clock'>): ReadingClock {
  return { at: record.deviceTime, receivedAt: record.receivedAt, ahead: record.clock !== undefined && record.clock.skewMs > 0 };
}

export function vehicleQuantities(payload: VehicleTelemetry, clock: ReadingClock): Quantity[] {
  const quantities: Quantity[] = [];
  if (payload.odometerKm !== undefined) quantities.push({ key: 'odometerKm', rule: odometerRule, sample: { value: payload.odometerKm, ...clock } });
  if (payload.socPct !== undefined) quantities.push({ key: 'socPct', rule: socRule, sample: { value: payload.socPct, ...clock } });
  return quantities;
}

/** One energy register per connector (OCPP meters are per connector); connector 0 is the charger's own. */
export function chargerQuantities(payload: ChargerTelemetry, clock: ReadingClock): Quantity[] {
  if (payload.energyWh === undefined) return [];
  const sample = payload.sessionId === undefined ? { value: payload.energyWh, ...clock } : { value: payload.energyWh, ...clock, session: payload.sessionId };
  return [{ key: `energyWh:${payload.connectorId ?? 0}`, rule: energyRegisterRule, sample }];
}
