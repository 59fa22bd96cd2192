/**
 * Turning a FleetRecord into a records-table row, refusing what the table cannot hold faithfully.
 * Intake validates records against the protocol schema; this only guards the columns.
 */
import type { FleetRecord } from '@fleetwire/protocol';
import { EdgeError } from '../../errors.js';
import { PRIORITY_CODE } from './schema.js';

export interface RecordRow {
  id: string;
  priority: number;
  kind: string;
  sourceId: string;
  deviceTime: number;
  receivedAt: number;
  bytes: number;
  payload: string;
}

export function toRecordRow(record: FleetRecord): RecordRow {
  const priority = PRIORITY_CODE[record?.priority as keyof typeof PRIORITY_CODE];
  const problem =
    typeof record?.id !== 'string' || record.id.length === 0
      ? 'id must be a non-empty string'
      : priority === undefined
        ? `unknown priority ${String(record.priority)}`
        : typeof record.kind !== 'string' || typeof record.source?.id !== 'string'
          ? 'kind and source.id must be strings'
          : !Number.isFinite(record.deviceTime) || !Number.isFinite(record.receivedAt)
            ? 'deviceTime and receivedAt must be finite numbers'
            : undefined;
  if (problem !== undefined) {
    throw new EdgeError('FW_BUFFER_RECORD_INVALID', `record ${String(record?.id)} cannot be buffered: ${problem}`);
  }
  const payload = JSON.stringify(record);
  return {
    id: record.id,
    priority: priority as number,
    kind: record.kind,
    sourceId: record.source.id,
    deviceTime: Math.trunc(record.deviceTime),
    receivedAt: Math.trunc(record.receivedAt),
    bytes: Buffer.byteLength(payload),
    payload,
  };
}
