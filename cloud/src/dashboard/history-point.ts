/**
 * One point of a vehicle's history as the dashboard charts it: the quantities of a telemetry
 * reading that the vehicle page draws, each absent when the reading did not carry it (sparse and
 * on-change readings report part of them). Both history sources — the in-memory window and the
 * time-series DB — answer in this shape.
 */
import { trustedTime, type VehicleTelemetryRecord } from '@fleetwire/protocol';

export const HISTORY_QUANTITIES = ['socPct', 'speedKph', 'batteryTempC', 'tyreFlKpa', 'tyreFrKpa', 'tyreRlKpa', 'tyreRrKpa'] as const;
export type HistoryQuantity = (typeof HISTORY_QUANTITIES)[number];

export type HistoryPoint = { at: number } & Partial<Record<HistoryQuantity, number>>;

/** The charted part of a reading; undefined when it carries none of the quantities. */
export function historyPointOf(record: VehicleTelemetryRecord): HistoryPoint | undefined {
  const t = record.payload;
  const values: Partial<Record<HistoryQuantity, number | undefined>> = {
    socPct: t.socPct, speedKph: t.speedKph, batteryTempC: t.battery?.tempC,
    tyreFlKpa: t.tyresKpa?.fl, tyreFrKpa: t.tyresKpa?.fr, tyreRlKpa: t.tyresKpa?.rl, tyreRrKpa: t.tyresKpa?.rr,
  };
  const point: HistoryPoint = { at: trustedTime(record) };
  let any = false;
  for (const quantity of HISTORY_QUANTITIES) {
    const value = values[quantity];
    if (value === undefined) continue;
    point[quantity] = value;
    any = true;
  }
  return any ? point : undefined;
}
