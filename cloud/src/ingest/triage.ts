/**
 * The decision for one decoded batch, as a plain function over data: which records go to their
 * topics, which are duplicates, and which go to the dead-letter topic with their original bytes
 * and why. Nothing valid is refused because of a bad neighbour.
 *
 * A node may send only for the devices its auth entry lists (and as itself, for events the edge
 * produced). A record that names any other device — as its source, in its id (which consumers
 * dedupe on, so a foreign id could shadow a real record) or as an event's vehicle/charger
 * subject — is `device_not_allowed`.
 */
import {
  busMessageOf,
  parseMessageId,
  toDeadLetter,
  type BusMessage,
  type DecodedBatch,
  type ReasonCode,
  type RecordHead,
} from '@fleetwire/protocol';
import type { DeviceAcl } from './device-acl.js';
import type { RejectedRecord } from './schemas.js';

/** Set on a dead letter whose bytes were cut to the limit: the original length. */
export const TRUNCATED_HEADER = 'fw-original-bytes';

export interface TriageContext {
  nodeId: string;
  servesDevice: DeviceAcl;
  /** Whether a record with this id was stored by an earlier batch. */
  alreadyStored(id: string): boolean;
  maxDeadLetterBytes: number;
}

export interface BatchTriage {
  /** Accepted records and dead letters, to be produced together. */
  messages: BusMessage[];
  acceptedIds: string[];
  duplicates: number;
  rejected: RejectedRecord[];
}

export function triageBatch(batch: DecodedBatch, context: TriageContext): BatchTriage {
  const messages: BusMessage[] = [];
  const acceptedIds: string[] = [];
  const rejected: RejectedRecord[] = [];
  const seen = new Set<string>();
  let duplicates = 0;

  const deadLetter = (raw: Buffer, reason: ReasonCode, detail: string, id: string | undefined, line: number): void => {
    rejected.push({ id: id ?? `line:${line}`, reason, detail });
    messages.push(deadLetterMessage(raw, reason, detail, context, id));
  };

  batch.entries.forEach((entry, index) => {
    // Line 1 is the header, so record n is on line n + 2.
    const line = index + 2;
    if (!entry.ok) {
      deadLetter(entry.raw, entry.reason, entry.detail, entry.id, line);
      return;
    }
    const { head } = entry;
    const stranger = foreignDevice(head, context);
    if (stranger !== undefined) {
      deadLetter(entry.raw, 'device_not_allowed', `node ${context.nodeId} does not serve ${stranger}`, head.id, line);
      return;
    }
    if (seen.has(head.id) || context.alreadyStored(head.id)) {
      duplicates += 1;
      return;
    }
    seen.add(head.id);
    acceptedIds.push(head.id);
    messages.push(busMessageOf(head, entry.raw));
  });

  return { messages, acceptedIds, duplicates, rejected };
}

/** The first device the record (by its head) names that the node may not speak for, described; undefined when all are fine. */
export function foreignDevice(head: RecordHead, context: Pick<TriageContext, 'nodeId' | 'servesDevice'>): string | undefined {
  const { nodeId, servesDevice } = context;
  const { source, subject } = head;
  if (source.kind === 'vehicle' || source.kind === 'charger') {
    if (!servesDevice(source.id)) return `${source.kind} ${source.id}`;
  } else if (source.kind !== 'edge' || source.id !== nodeId) {
    return `source ${source.kind}:${source.id}`;
  }
  const idDevice = parseMessageId(head.id)?.deviceId;
  if (idDevice === undefined || (idDevice !== nodeId && !servesDevice(idDevice))) return `record id ${head.id}`;
  if (subject !== undefined && (subject.kind === 'vehicle' || subject.kind === 'charger') && !servesDevice(subject.id)) {
    return `subject ${subject.kind} ${subject.id}`;
  }
  return undefined;
}

/** A dead letter keyed by the authenticated node; bytes beyond the limit are cut and the cut is flagged. */
export function deadLetterMessage(
  raw: Buffer,
  reason: ReasonCode,
  detail: string,
  context: Pick<TriageContext, 'nodeId' | 'maxDeadLetterBytes'>,
  id?: string,
): BusMessage {
  const cut = raw.length > context.maxDeadLetterBytes;
  const message = toDeadLetter(cut ? raw.subarray(0, context.maxDeadLetterBytes) : raw, reason, detail, context.nodeId, id);
  if (cut) message.headers[TRUNCATED_HEADER] = String(raw.length);
  return message;
}
