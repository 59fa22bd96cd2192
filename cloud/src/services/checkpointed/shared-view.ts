/**
 * The whole service's state as any one instance can see it: the partitions it holds, live, and
 * every other partition as its owner last checkpointed it, read back from the checkpoints topic
 * every `refreshMs`. So `/v1/fleet/*` answers for the whole fleet whichever instance a request
 * reaches, at most a checkpoint interval plus a refresh behind for the partitions held elsewhere
 * (docs/cloud.md). With one instance every partition is live, and no checkpoint is decoded here.
 */
import type { Logger } from 'pino';
import { slotKey, type Checkpoint, type CheckpointStore } from './checkpoint-store.js';
import type { PartitionState } from './partitioned-consumer.js';

export interface SharedView<S> {
  /** One state per partition of the service: the held ones live, the others from their checkpoints. */
  states(): S[];
  start(): void;
  stop(): void;
}

export interface SharedViewOptions<S> {
  store: CheckpointStore;
  groupId: string;
  refreshMs: number;
  decode(data: unknown): S;
  owned(): PartitionState<S>[];
  logger: Logger;
}

export function createSharedView<S>(options: SharedViewOptions<S>): SharedView<S> {
  /** Every partition's last checkpoint; a state is decoded the first time a view needs it (a held partition's never is). */
  let others = new Map<string, () => S | undefined>();
  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;

  const decodedOnce = (key: string, checkpoint: Checkpoint): (() => S | undefined) => {
    let decoded: { state: S | undefined } | undefined;
    return () => {
      if (decoded === undefined) {
        try {
          decoded = { state: options.decode(checkpoint.state) };
        } catch (error) {
          options.logger.warn({ err: error, partition: key }, 'service_view_refresh_failed');
          decoded = { state: undefined };
        }
      }
      return decoded.state;
    };
  };

  const refresh = async (): Promise<void> => {
    if (refreshing) return;
    refreshing = true;
    try {
      const checkpoints = await options.store.load(options.groupId);
      others = new Map([...checkpoints].map(([key, checkpoint]) => [key, decodedOnce(key, checkpoint)]));
    } catch (error) {
      options.logger.warn({ err: error }, 'service_view_refresh_failed');
    } finally {
      refreshing = false;
    }
  };

  return {
    states() {
      const owned = options.owned();
      const held = new Set(owned.map((p) => slotKey(p.slot)));
      const elsewhere = [...others].filter(([key]) => !held.has(key)).map(([, state]) => state());
      return [...owned.map((p) => p.state), ...elsewhere.filter((state) => state !== undefined)];
    },
    start() {
      void refresh();
      timer = setInterval(() => void refresh(), options.refreshMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
