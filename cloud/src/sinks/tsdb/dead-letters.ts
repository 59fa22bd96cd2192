/**
 * The sink's dead letters, in the same format as the ingest's (protocol `toDeadLetter`): topic
 * `fleetwire.dlq`, value = the bus record's original bytes, headers `fw-kind: dead_letter`,
 * `fw-reason`, `fw-detail`, `fw-source` and `fw-id`. The source (and key) is the device the
 * record came from — the sink does not know which edge node sent it — or, for a value that did
 * not decode, the bus key (the device id on the telemetry topics). Header `fw-origin` says where
 * the record was read, `{topic}/{partition}/{offset}`, so it can be found and replayed.
 */
import { BUS_HEADERS, toDeadLetter, type FleetRecord, type ReasonCode } from '@fleetwire/protocol';
import type { BusMessage, DeliveredMessage } from '../../bus/bus.js';

export const ORIGIN_HEADER = 'fw-origin';

export function sinkDeadLetter(message: DeliveredMessage, reason: ReasonCode, detail: string, record?: FleetRecord): BusMessage {
  const id = record?.id ?? message.headers[BUS_HEADERS.id];
  const letter = toDeadLetter(message.value, reason, detail, record?.source.id ?? message.key, id);
  letter.headers[ORIGIN_HEADER] = `${message.topic}/${message.partition}/${message.offset}`;
  return letter;
}
