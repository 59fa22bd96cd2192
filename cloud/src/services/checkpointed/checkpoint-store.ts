/**
 * Where the services keep their partition states: the compacted `fleetwire.checkpoints` topic
 * of the bus itself, one record per (group, topic, partition) — the state of that partition's
 * records and `next`, the offset of the first record it does not reflect yet. The state carries
 * its offset, so a checkpoint is right whatever the group has committed: a restore applies only
 * records from `next` on.
 *
 * On the bus, so any instance of a service — on any machine — can take a partition over, and
 * the embedded log gets the same behaviour (it compacts the topic on append). Loading reads the
 * whole topic (`bus.scan`): it holds one live record per group and partition once compacted, so
 * the read is bounded by the number of partitions, not by the history.
 *
 * Where two records of a key are both still there (compaction has not run yet, or a member the
 * group had already replaced wrote late), the one with the larger `next` wins: a partition's state
 * is a function of its records, so the one further along is the newer.
 *
 * `next` and `takenAt` also travel as headers, so a load picks each key's winner without
 * decompressing the others, and a state is decoded only when read (`Checkpoint.state`): a
 * restore decodes the partitions it restores, once — on Kafka the topic's active segment is not
 * compacted, so it may hold many records of a key. Records without the headers (written before
 * them) are decoded to find their `next`.
 */
import { BUS_TOPICS, BUS_HEADERS } from '@fleetwire/protocol';
import type { Bus, DeliveredMessage, TopicPartition } from '../../bus/bus.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';

export interface Checkpoint {
  /** The first offset the state does not reflect. */
  next: number;
  /** From a load: decoded when first read. */
  readonly state: unknown;
  /** When it was taken (ms), for the logs. */
  takenAt: number;
}

export interface CheckpointStore {
  /** Resolves once the checkpoint is durably on the bus. */
  save(groupId: string, slot: TopicPartition, checkpoint: Checkpoint): Promise<void>;
  /** Every checkpoint of the group, by `slotKey`. */
  load(groupId: string): Promise<Map<string, Checkpoint>>;
}

export const slotKey = ({ topic, partition }: TopicPartition): string => `${topic}#${partition}`;

const recordKey = (groupId: string, slot: TopicPartition): string => `${groupId}|${slotKey(slot)}`;

const NEXT_HEADER = 'fw-checkpoint-next';
const TAKEN_AT_HEADER = 'fw-checkpoint-taken-at';

/** A stored checkpoint whose state is decompressed and parsed on first read, then kept. */
function storedCheckpoint(message: DeliveredMessage): Checkpoint {
  const next = message.headers[NEXT_HEADER];
  const takenAt = message.headers[TAKEN_AT_HEADER];
  if (next === undefined || takenAt === undefined) return decodeSnapshot(message.value) as Checkpoint;
  let decoded: { state: unknown } | undefined;
  return {
    next: Number(next),
    takenAt: Number(takenAt),
    get state() {
      decoded ??= decodeSnapshot(message.value) as { state: unknown };
      return decoded.state;
    },
  };
}

export function createCheckpointStore(bus: Bus): CheckpointStore {
  return {
    async save(groupId, slot, checkpoint) {
      await bus.produce([{
        topic: BUS_TOPICS.checkpoints,
        key: recordKey(groupId, slot),
        value: encodeSnapshot({ next: checkpoint.next, state: checkpoint.state, takenAt: checkpoint.takenAt }),
        headers: { [BUS_HEADERS.kind]: 'checkpoint', [NEXT_HEADER]: String(checkpoint.next), [TAKEN_AT_HEADER]: String(checkpoint.takenAt) },
      }]);
    },
    async load(groupId) {
      const prefix = `${groupId}|`;
      const found = new Map<string, Checkpoint>();
      await bus.scan(BUS_TOPICS.checkpoints, (batch) => {
        for (const message of batch) {
          if (!message.key.startsWith(prefix)) continue;
          const checkpoint = storedCheckpoint(message);
          const slot = message.key.slice(prefix.length);
          const held = found.get(slot);
          if (held === undefined || checkpoint.next >= held.next) found.set(slot, checkpoint);
        }
      });
      return found;
    },
  };
}
