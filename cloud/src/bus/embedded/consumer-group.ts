/**
 * Consumer groups over the embedded log. Members of one group (subscriptions in this process
 * with the same group id) split each topic's partitions: partition p of a topic goes to the
 * (p mod n)-th member subscribed to it, recomputed as members join and leave. A partition is
 * handled by at most one member at a time (the group's `busy` set), so a rebalance never hands
 * the same records to two members at once.
 *
 * Each member runs one loop: for every assigned partition, read a batch from its position (the
 * group's committed offset when the partition came to it), hand it to `handle` (`../delivery.ts`:
 * retried with backoff in place, poison records dead-lettered), move on to `last + 1` — or where
 * the handler skipped to (`resumeAt`) — and commit that unless the handler holds the commit until
 * its checkpoint. A member that closes meanwhile
 * commits nothing; a partition that leaves a member takes its position with it (the next owner
 * starts from the committed offset, as on Kafka).
 */
import type { Logger } from 'pino';
import type { BusMessage, DeliveredMessage, HandlerProgress, PartitionLag, SubscribeOptions, Subscription, TopicPartition } from '../bus.js';
import type { BusMetrics } from '../bus-metrics.js';
import { deliverBatch, deliveryReports, nextPosition } from '../delivery.js';
import type { LogStore } from './log-store.js';
import type { EmbeddedBusOptions } from './options.js';

interface Member {
  readonly topics: readonly string[];
  readonly handle: SubscribeOptions['handle'];
}

interface Group {
  readonly members: Member[];
  readonly busy: Set<string>;
}

/** The embedded log has no sessions to keep alive. */
const heartbeat: HandlerProgress['heartbeat'] = async () => undefined;

export interface GroupCoordinator {
  join(options: SubscribeOptions, partitionsOf: (topic: string) => number): Subscription;
  /** Wakes idle members after new records were committed. */
  notify(): void;
  /** End offset − committed offset of every partition of every group with a member here. */
  lag(): PartitionLag[];
  closeAll(): Promise<void>;
}

export interface GroupCollaborators {
  logger: Logger | undefined;
  metrics: BusMetrics;
  /** Durable produce, for dead letters. */
  produce(messages: BusMessage[]): Promise<void>;
}

export function createGroupCoordinator(store: LogStore, options: EmbeddedBusOptions, collaborators: GroupCollaborators): GroupCoordinator {
  const { logger, metrics } = collaborators;
  const groups = new Map<string, Group>();
  const waiters = new Set<() => void>();
  const subscriptions = new Set<Subscription>();

  const idle = (ms: number, closed: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      if (closed()) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });

  const assigned = (group: Group, member: Member, topic: string, partitions: number): number[] => {
    const peers = group.members.filter((m) => m.topics.includes(topic));
    const index = peers.indexOf(member);
    return Array.from({ length: partitions }, (_, p) => p).filter((p) => p % peers.length === index);
  };

  return {
    join(subscribe, partitionsOf) {
      const { groupId } = subscribe;
      const group = groups.get(groupId) ?? { members: [], busy: new Set<string>() };
      groups.set(groupId, group);
      const member: Member = { topics: [...subscribe.topics], handle: subscribe.handle };
      for (const topic of member.topics) {
        for (let p = 0; p < partitionsOf(topic); p++) {
          store.initOffset(groupId, topic, p, subscribe.fromBeginning === true ? 0 : store.endOffset(topic, p));
        }
      }
      group.members.push(member);
      let closed = false;
      /** Where this member reads each partition it holds; dropped when the partition leaves it. */
      const positions = new Map<string, number>();
      let assignment = '';
      const currentAssignment = (): TopicPartition[] => {
        const partitions = member.topics.flatMap((topic) => assigned(group, member, topic, partitionsOf(topic)).map((partition) => ({ topic, partition })));
        const described = partitions.map((p) => `${p.topic}\u0000${p.partition}`).join('\u0001');
        if (described !== assignment) {
          assignment = described;
          const held = new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
          for (const slot of positions.keys()) if (!held.has(slot)) positions.delete(slot);
          subscribe.assigned?.(partitions);
        }
        return partitions;
      };
      // One pass over the assigned partitions; true when there was a batch.
      const deliverOnce = async (): Promise<boolean> => {
        let worked = false;
        for (const { topic, partition } of currentAssignment()) {
          const slot = `${topic}\u0000${partition}`;
          if (closed || group.busy.has(slot)) continue;
          const next = positions.get(slot) ?? store.committedOffset(groupId, topic, partition) ?? 0;
          const batch: DeliveredMessage[] = store.read(topic, partition, next, options.maxBatchMessages);
          if (batch.length === 0) continue;
          group.busy.add(slot);
          worked = true;
          try {
            const endOffset = String(store.endOffset(topic, partition));
            const done = await deliverBatch(batch, options, {
              groupId, handle: member.handle, progress: { heartbeat, endOffset },
              owned: () => !closed,
              pause: (ms) => idle(ms, () => closed),
              deadLetter: collaborators.produce,
              ...deliveryReports(metrics, logger, { groupId, topic, partition }),
            });
            if (done.kind === 'done') {
              const after = Number(nextPosition(BigInt((batch[batch.length - 1] as DeliveredMessage).offset), done));
              positions.set(slot, after);
              if (done.commit) store.commitOffset(groupId, topic, partition, after);
            }
          } finally {
            group.busy.delete(slot);
          }
        }
        return worked;
      };

      const loop = (async () => {
        while (!closed) {
          if (!(await deliverOnce())) await idle(options.pollIntervalMs, () => closed);
        }
      })();

      const subscription: Subscription = {
        async close() {
          if (closed) return loop;
          closed = true;
          for (const wake of [...waiters]) wake();
          await loop;
          group.members.splice(group.members.indexOf(member), 1);
          if (group.members.length === 0) groups.delete(groupId);
          subscriptions.delete(subscription);
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },
    lag() {
      const lags: PartitionLag[] = [];
      for (const [group, { members }] of groups) {
        for (const topic of new Set(members.flatMap((m) => m.topics))) {
          for (let partition = 0; partition < (store.partitionsOf(topic) ?? 0); partition++) {
            const end = store.endOffset(topic, partition);
            lags.push({ group, topic, partition, lag: Math.max(0, end - (store.committedOffset(group, topic, partition) ?? 0)) });
          }
        }
      }
      return lags;
    },
    notify() {
      for (const wake of [...waiters]) wake();
    },
    async closeAll() {
      await Promise.all([...subscriptions].map((s) => s.close()));
    },
  };
}
