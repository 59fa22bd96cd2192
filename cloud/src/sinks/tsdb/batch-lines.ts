/**
 * What the time-series sink writes for one consumed batch, as a plain function: records are
 * decoded and validated (fromBusValue), de-duplicated by message id (the last copy wins: a
 * re-sent record is the same record), mapped to points (toPoints) and formatted as line
 * protocol, one group of lines per record so that a write the TSDB refuses can be narrowed down
 * to the records it refused. A value that does not decode is set aside with its reason — it can
 * never succeed, and retrying it would stall every record behind it.
 */
import { BUS_HEADERS, formatLineProtocol, fromBusValue, toPoints, type FleetRecord, type ReasonCode } from '@fleetwire/protocol';
import type { DeliveredMessage } from '../../bus/bus.js';

/** One record's share of a write: its line-protocol lines (one per point). */
export interface RecordLines {
  message: DeliveredMessage;
  record: FleetRecord;
  /** Lines joined by "\n"; never empty. */
  lines: string;
  points: number;
}

export interface SkippedRecord {
  message: DeliveredMessage;
  offset: string;
  partition: number;
  reason: ReasonCode;
  detail: string;
}

export interface BatchLines {
  /** Records with at least one point, in offset order of their last copy. Events have none. */
  records: RecordLines[];
  points: number;
  duplicates: number;
  skipped: SkippedRecord[];
}

export function batchLines(batch: readonly DeliveredMessage[]): BatchLines {
  const decoded = new Map<string, { message: DeliveredMessage; record: FleetRecord }>();
  const skipped: SkippedRecord[] = [];
  let duplicates = 0;
  for (const message of batch) {
    const verdict = fromBusValue(message.value);
    if (!verdict.ok) {
      skipped.push({ message, offset: message.offset, partition: message.partition, reason: verdict.reason, detail: verdict.detail });
      continue;
    }
    const id = message.headers[BUS_HEADERS.id] ?? verdict.value.id;
    if (decoded.delete(id)) duplicates += 1;
    decoded.set(id, { message, record: verdict.value });
  }
  const records: RecordLines[] = [];
  for (const { message, record } of decoded.values()) {
    const lines = formatLineProtocol(toPoints(record));
    if (lines !== '') records.push({ message, record, lines, points: countLines(lines) });
  }
  return { records, points: records.reduce((sum, r) => sum + r.points, 0), duplicates, skipped };
}

/** The write body for some of a batch's records. */
export function joinLines(records: readonly RecordLines[]): string {
  return records.map((r) => r.lines).join('\n');
}

function countLines(lines: string): number {
  let count = 1;
  for (let i = lines.indexOf('\n'); i !== -1; i = lines.indexOf('\n', i + 1)) count += 1;
  return count;
}
