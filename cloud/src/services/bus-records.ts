/**
 * What the cloud's services (fleet state, analytics, maintenance) read from a delivered batch:
 * the records that decode, in offset order, each with the message it came in. A value that does
 * not decode is counted, logged and skipped — ingest validated it before producing, so a retry
 * cannot help, and one bad record must not stall its partition.
 */
import { fromBusValue, type FleetRecord } from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { DeliveredMessage } from '../bus/bus.js';

export interface BusRecord {
  message: DeliveredMessage;
  record: FleetRecord;
}

export function decodeBatch(batch: readonly DeliveredMessage[], skipped: Counter<'reason'>, logger: Logger, skipEvent: string): BusRecord[] {
  const records: BusRecord[] = [];
  for (const message of batch) {
    const verdict = fromBusValue(message.value);
    if (verdict.ok) {
      records.push({ message, record: verdict.value });
      continue;
    }
    skipped.inc({ reason: verdict.reason });
    logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, reason: verdict.reason, detail: verdict.detail }, skipEvent);
  }
  return records;
}
