/**
 * Message ids the edge gives: to device messages that came without an id of their own, and to
 * the events the edge raises.
 *
 * A device message without `epoch`/`seq` (or an event without `eventId`) is named by its
 * content: `{deviceId}:c{hash}:0`, the hash over topic and bytes. The same bytes re-sent — a
 * QoS 1 retry after a PUBACK lost to a crash or a dropped connection, also across an agent
 * restart — get the same id and collapse downstream like any duplicate; two different
 * messages differ in their bytes (a reading carries its device time). Such devices have no
 * sequence, so no gap can be counted for them.
 *
 * Events the edge raises count per node in the edge's epoch, a fresh random id per agent start,
 * so a counter starting at 0 never repeats an id from a previous run and none is persisted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { formatMessageId } from '@fleetwire/protocol';

export interface MessageIdSource {
  readonly epoch: string;
  /** `{id}:{epoch}:{n}` with n counting up per id from 0: events the edge raises. */
  next(id: string): string;
}

/** 16 alphanumerics: 82 bits of randomness, well inside the protocol's 32-character epoch. */
export function createEdgeEpoch(): string {
  return `e${BigInt(`0x${randomBytes(10).toString('hex')}`).toString(36).padStart(15, '0').slice(0, 15)}`;
}

export function createMessageIds(epoch: string = createEdgeEpoch()): MessageIdSource {
  const counters = new Map<string, number>();
  return {
    epoch,
    next(id) {
      const seq = counters.get(id) ?? 0;
      counters.set(id, seq + 1);
      return formatMessageId({ deviceId: id, epoch, seq });
    },
  };
}

/** `{deviceId}:c{31 hex of sha256(topic, bytes)}:0`: 124 bits, in the protocol's 32-character epoch. */
export function contentMessageId(deviceId: string, topic: string, bytes: Buffer): string {
  const hash = createHash('sha256').update(topic).update('\0').update(bytes).digest('hex');
  return formatMessageId({ deviceId, epoch: `c${hash.slice(0, 31)}`, seq: 0 });
}
