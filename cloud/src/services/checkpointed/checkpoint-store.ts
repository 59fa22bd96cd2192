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
 */
import { BUS_TOPICS, BUS_HEADERS } from '@fleetwire/protocol';
import type { Bus, TopicPartition } from '../../bus/bus.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';

export interface Checkpoint {
  /** The first offset the state does not reflect. */
  next: number;
  state: unknown;
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

export function createCheckpointStore(bus: Bus): CheckpointStore {
  return {
    async save(groupId, slot, checkpoint) {
      await bus.produce([{
        topic: BUS_TOPICS.checkpoints,
        key: recordKey(groupId, slot),
        value: encodeSnapshot(checkpoint),
        headers: { [BUS_HEADERS.kind]: 'checkpoint' },
      }]);
    },
    async load(groupId) {
      const prefix = `${groupId}|`;
      const found = new Map<string, Checkpoint>();
      await bus.scan(BUS_TOPICS.checkpoints, (batch) => {
        for (const message of batch) {
          if (!message.key.startsWith(prefix)) continue;
          const checkpoint = decodeSnapshot(message.value) as Checkpoint;
          const slot = message.key.slice(prefix.length);
          const held = found.get(slot);
          if (held === undefined || checkpoint.next >= held.next) found.set(slot, checkpoint);
        }
      });
      return found;
    },
  };
}
