/**
 * What the time-series sink writes for one consumed batch, as a plain function: records are
 * decoded and validated (fromBusValue), de-duplicated by message id (the last copy wins: a
 * re-sent record is the same record), mapped to points (toPoints) and formatted as line
 * protocol. A value that does not decode is skipped with its reason — it can never succeed,
 * and retrying it would stall every record behind it.
 */
import { BUS_HEADERS, formatLineProtocol, fromBusValue, toPoints, type FleetRecord, type Point, type ReasonCode } from '@fleetwire/protocol';
import type { DeliveredMessage } from '../../bus/bus.js';

export interface BatchLines {
  /** Line protocol, one line per point; empty when the batch held no telemetry. */
  body: string;
  points: number;
  duplicates: number;
  skipped: Array<{ offset: string; partition: number; reason: ReasonCode; detail: string }>;
}

export function batchLines(batch: readonly DeliveredMessage[]): BatchLines {
  const records = new Map<string, FleetRecord>();
  const skipped: BatchLines['skipped'] = [];
  let duplicates = 0;
  for (const message of batch) {
    const verdict = fromBusValue(message.value);
    if (!verdict.ok) {
      skipped.push({ offset: message.offset, partition: message.partition, reason: verdict.reason, detail: verdict.detail });
      continue;
    }
    const id = message.headers[BUS_HEADERS.id] ?? verdict.value.id;
    if (records.delete(id)) duplicates += 1;
    records.set(id, verdict.value);
  }
  const points: Point[] = [];
  for (const record of records.values()) points.push(...toPoints(record));
  return { body: formatLineProtocol(points), points: points.length, duplicates, skipped };
}
