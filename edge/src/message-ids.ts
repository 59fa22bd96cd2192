/**
 * Message ids the edge gives, each derived from what it names and never from a counter, so the
 * same message or the same alert gets the same id again after a re-send or a restart and
 * collapses downstream like any duplicate. No state is kept or persisted for them.
 *
 * - A device message without `epoch`/`seq` (or an event without `eventId`) is named by its
 *   content: `{deviceId}:c{hash}:0`, the hash over topic and bytes (`:{i}` for the i-th
 *   reading of an array message). A QoS 1 retry after a PUBACK
 *   lost to a crash or a dropped connection has the same bytes; two different messages differ
 *   in their bytes (a reading carries its device time). Such devices have no sequence, so no
 *   gap can be counted for them.
 * - An event a local rule raises is named by the rule and the record that made it fire:
 *   `{nodeId}:r{hash}:0`. A re-sent reading that fires the rule again raises the same alert id.
 *
 * The hash is 31 hex characters of SHA-256 (124 bits) behind a one-letter tag: an epoch of the
 * protocol's 32 characters, with seq 0.
 */
import { createHash } from 'node:crypto';
import { formatMessageId } from '@fleetwire/protocol';

/** `index`: the reading's place in an array message, its `seq` (an array names its readings apart). */
export function contentMessageId(deviceId: string, topic: string, bytes: Buffer, index = 0): string {
  return hashedMessageId(deviceId, 'c', [topic, bytes], index);
}

export function ruleEventId(nodeId: string, rule: string, triggerId: string): string {
  return hashedMessageId(nodeId, 'r', [rule, triggerId]);
}

function hashedMessageId(ownerId: string, tag: string, parts: ReadonlyArray<string | Buffer>, seq = 0): string {
  const hash = createHash('sha256');
  parts.forEach((part, index) => {
    if (index > 0) hash.update('\0');
    hash.update(part);
  });
  return formatMessageId({ deviceId: ownerId, epoch: `${tag}${hash.digest('hex').slice(0, 31)}`, seq });
}
