import { Type, type Static } from '@sinclair/typebox';

/** The options of a checkpointed service's schema (docs/cloud.md, "Scaling and restarts"). */
export const checkpointOptions = () => ({
  checkpointIntervalMs: Type.Integer({
    minimum: 100, default: 5000,
    description: 'a partition with records not yet checkpointed is checkpointed at least this often (ms)',
  }),
  checkpointRecords: Type.Integer({
    minimum: 1, default: 50_000,
    description: 'a partition is checkpointed once this many records were applied since its last checkpoint',
  }),
  readyMaxLag: Type.Integer({
    minimum: 0, default: 1000,
    description: 'ready once every assigned partition is restored and at most this many records behind its end',
  }),
  viewRefreshMs: Type.Integer({
    minimum: 100, default: 5000,
    description: 'how often the partitions other instances own are read back from their checkpoints (ms)',
  }),
  restoreLogIntervalMs: Type.Integer({
    minimum: 100, default: 5000,
    description: 'while not ready, how often the start-up log says how far the restore is, and a failed checkpoint read is retried (ms)',
  }),
});

export type CheckpointSettings = Static<ReturnType<typeof Type.Object<ReturnType<typeof checkpointOptions>>>>;
