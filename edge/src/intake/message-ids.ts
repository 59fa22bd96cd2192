/**
 * Message ids for records whose device sent no `epoch`/`seq`, and for events the edge raises.
 * The edge's epoch is a fresh random id per agent start, so a per-device counter starting at 0
 * can never repeat an id from a previous run — no counter has to be persisted.
 */
import { randomBytes } from 'node:crypto';
import { formatMessageId } from '@fleetwire/protocol';

export interface MessageIdSource {
  readonly epoch: string;
  /** `{deviceId}:{epoch}:{n}` with n counting up per device from 0. */
  next(deviceId: string): string;
}

/** 16 alphanumerics: 82 bits of randomness, well inside the protocol's 32-character epoch. */
export function createEdgeEpoch(): string {
  return `e${BigInt(`0x${randomBytes(10).toString('hex')}`).toString(36).padStart(15, '0').slice(0, 15)}`;
}

export function createMessageIds(epoch: string = createEdgeEpoch()): MessageIdSource {
  const counters = new Map<string, number>();
  return {
    epoch,
    next(deviceId) {
      const seq = counters.get(deviceId) ?? 0;
      counters.set(deviceId, seq + 1);
      return formatMessageId({ deviceId, epoch, seq });
    },
  };
}
