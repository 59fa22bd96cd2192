/**
 * A consumer group whose state is kept per partition and checkpointed — the fleet state and
 * maintenance services run on it (docs/cloud.md, "Scaling and restarts").
 *
 * - Each (topic, partition) the member is assigned gets its own state, restored from the
 *   partition's checkpoint (`checkpoint-store.ts`) or empty. A batch applies only its records at or
 *   after the state's `next`, so records the state already reflects are never applied twice; a
 *   batch wholly before `next` is answered with `{ resumeAt: next }`, so the bus skips the rest of
 *   them instead of delivering them (a restart reads one batch per partition, not everything
 *   since the group's last commit), committing there when `next` is that of a checkpoint on the bus.
 * - A partition is checkpointed every `checkpointRecords` records or `checkpointIntervalMs`, and
 *   a batch's offsets are committed only by the handler call that checkpointed it (`{ commit }`):
 *   the group's offset never passes the checkpoint, so a restart or the next owner replays only
 *   the tail after it. A timer also checkpoints a partition that went quiet with records not yet
 *   checkpointed, so the shared view (`shared-view.ts`) shows them; its state carries its offset,
 *   and the group's offset catches up with the next batch.
 * - Ready once the assignment is known, every assigned partition is restored and each is at most
 *   `readyMaxLag` records behind its end. Until then the start-up log says how far it is.
 * - Partitions a rebalance takes away are dropped (their next owner restores them); a batch that
 *   starts past the state's `next` means another member checkpointed further: reloaded first.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Bus, DeliveredMessage, HandledBatch, HandlerProgress, TopicPartition } from '../../bus/bus.js';
import { createBusConsumer, type BusConsumer } from '../../bus-consumer.js';
import { slotKey, type Checkpoint, type CheckpointStore } from './checkpoint-store.js';
import type { CheckpointSettings } from './checkpoint-settings.js';

export interface PartitionState<S> {
  readonly slot: TopicPartition;
  state: S;
  /** First offset `state` does not reflect. */
  next: number;
  /** The partition's end offset as of the last batch; undefined until a batch came. */
  end: number | undefined;
  sinceCheckpoint: number;
  checkpointedAt: number;
  /** `next` of the last checkpoint known to be on the bus (restored or written): the group may commit up to it. */
  checkpointedNext: number;
  /** A batch is being applied or a checkpoint written: the timer leaves it alone. */
  busy: boolean;
}

export interface PartitionedConsumerOptions<S> {
  bus: Bus;
  store: CheckpointStore;
  groupId: string;
  topics: string[];
  logger: Logger;
  metrics: Registry;
  /** Label of the service's metrics, e.g. `fleet`. */
  service: string;
  settings: CheckpointSettings;
  enabled?: boolean;
  startedEvent: string;
  startedFields?: Record<string, unknown>;
  create(): S;
  /** Applies records of one partition, in offset order. Rejects (a produce failed) to get them again. */
  apply(state: S, records: DeliveredMessage[], slot: TopicPartition): Promise<void>;
  /** The state as JSON-able data (Maps and -Infinity are fine: `snapshot-codec.ts`) and back. */
  encode(state: S): unknown;
  decode(data: unknown): S;
  now?: () => number;
}

export interface PartitionedConsumer<S> extends BusConsumer {
  /** The partitions this member holds, restored. */
  owned(): PartitionState<S>[];
}

interface ServiceMetrics {
  assigned: Gauge<'service'>;
  restored: Gauge<'service'>;
  progress: Gauge<'service'>;
  checkpoints: Counter<'service'>;
  replayed: Counter<'service'>;
}

/** Shared by the services of one registry (one set of series, labelled by service). */
function serviceMetrics(registry: Registry): ServiceMetrics {
  const gauge = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Gauge<'service'> | undefined) ?? new Gauge({ name, help, labelNames: ['service'], registers: [registry] });
  const counter = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Counter<'service'> | undefined) ?? new Counter({ name, help, labelNames: ['service'], registers: [registry] });
  return {
    assigned: gauge('fleetwire_service_partitions_assigned', 'Partitions this instance of the service is assigned'),
    restored: gauge('fleetwire_service_partitions_restored', 'Assigned partitions whose state is restored'),
    progress: gauge('fleetwire_service_restore_progress_ratio', 'Restored assigned partitions / assigned partitions (1 when none)'),
    checkpoints: counter('fleetwire_service_checkpoints_total', 'Partition checkpoints written'),
    replayed: counter('fleetwire_service_records_applied_total', 'Records applied to partition states (after a restore: the replayed tail)'),
  };
}

export function createPartitionedConsumer<S>(options: PartitionedConsumerOptions<S>): PartitionedConsumer<S> {
  const { bus, store, groupId, logger, settings, service } = options;
  const now = options.now ?? Date.now;
  const metrics = serviceMetrics(options.metrics);
  const partitions = new Map<string, PartitionState<S>>();
  let assignment: TopicPartition[] | undefined;
  let pending = new Set<string>();
  /** What the read in flight restores: a batch waiting for one of them joins that read instead of starting another. */
  let restoring = new Set<string>();
  let loading: Promise<void> | undefined;
  let wasReady = false;
  let startedAt = now();

  const fromCheckpoint = (slot: TopicPartition, checkpoint: Checkpoint | undefined): PartitionState<S> => ({
    slot,
    state: checkpoint === undefined ? options.create() : options.decode(checkpoint.state),
    next: checkpoint?.next ?? 0,
    end: undefined,
    sinceCheckpoint: 0,
    checkpointedAt: now(),
    checkpointedNext: checkpoint?.next ?? 0,
    busy: false,
  });

  const isAssigned = (key: string): boolean => assignment === undefined || assignment.some((slot) => slotKey(slot) === key);

  /** Restores every pending partition with one read of the checkpoints; later requests join the next read. */
  const restore = (slots: TopicPartition[]): Promise<void> => {
    for (const key of slots.map(slotKey)) if (!restoring.has(key)) pending.add(key);
    // Nothing to read: the loop below would end before `??=` assigns, leaving a settled promise
    // that every later restore returned without reading (a handler waiting for it spun for ever).
    if (pending.size === 0) return loading ?? Promise.resolve();
    loading ??= (async () => {
      try {
        while (pending.size > 0) {
          const wanted = pending;
          restoring = wanted;
          pending = new Set();
          let checkpoints: Map<string, Checkpoint>;
          try {
            checkpoints = await store.load(groupId);
          } catch (error) {
            for (const key of wanted) pending.add(key);
            throw error;
          }
          // Restored even if a rebalance took the partition meanwhile: a batch in hand may wait for it,
          // and `owned()` shows only the assigned ones.
          for (const key of wanted) {
            const [topic, partition] = [key.slice(0, key.lastIndexOf('#')), Number(key.slice(key.lastIndexOf('#') + 1))];
            const checkpoint = checkpoints.get(key);
            partitions.set(key, fromCheckpoint({ topic, partition }, checkpoint));
            logger.info({ topic, partition, next: checkpoint?.next ?? 0, checkpointTakenAt: checkpoint?.takenAt }, 'service_partition_restored');
          }
        }
      } finally {
        loading = undefined;
        restoring = new Set();
      }
    })();
    return loading;
  };

  const checkpoint = async (held: PartitionState<S>): Promise<void> => {
    const taken = { next: held.next, state: options.encode(held.state), takenAt: now() };
    await store.save(groupId, held.slot, taken);
    held.sinceCheckpoint = 0;
    held.checkpointedAt = taken.takenAt;
    held.checkpointedNext = Math.max(held.checkpointedNext, taken.next);
    metrics.checkpoints.inc({ service });
  };

  const partitionOf = async (slot: TopicPartition): Promise<PartitionState<S>> => {
    const key = slotKey(slot);
    for (let held = partitions.get(key); ; held = partitions.get(key)) {
      if (held !== undefined) return held;
      await restore([slot]);
    }
  };

  const handle = async (batch: DeliveredMessage[], progress: HandlerProgress): Promise<HandledBatch> => {
    const first = batch[0] as DeliveredMessage;
    const slot = { topic: first.topic, partition: first.partition };
    let held = await partitionOf(slot);
    if (Number(first.offset) > held.next && held.next > 0) {
      // Someone checkpointed further than this member's state (it held the partition meanwhile).
      partitions.delete(slotKey(slot));
      held = await partitionOf(slot);
      if (Number(first.offset) > held.next && held.next > 0) logger.warn({ ...slot, next: held.next, first: first.offset }, 'service_partition_gap');
    }
    const last = Number((batch.at(-1) as DeliveredMessage).offset);
    if (last + 1 < held.next) {
      // The state already reflects this batch and what follows it (the group's offset trails the
      // checkpoint by up to `checkpointRecords`): read on from `next` instead of record by record.
      // Committed there when a checkpoint on the bus says so (just restored: yes), so the group's
      // offset — the lag metric, the next restart — catches up even if the partition stays quiet.
      held.end = Number(progress.endOffset);
      const commit = held.checkpointedNext === held.next;
      logger.info({ ...slot, from: first.offset, resumeAt: held.next, commit }, 'service_partition_skipped');
      return { commit, resumeAt: String(held.next) };
    }
    held.busy = true;
    try {
      const fresh = batch.filter((message) => Number(message.offset) >= held.next);
      if (fresh.length > 0) await options.apply(held.state, fresh, slot);
      held.next = Math.max(held.next, last + 1);
      held.end = Number(progress.endOffset);
      held.sinceCheckpoint += fresh.length;
      metrics.replayed.inc({ service }, fresh.length);
      const due = held.sinceCheckpoint >= settings.checkpointRecords || now() - held.checkpointedAt >= settings.checkpointIntervalMs;
      if (!due) return { commit: false };
      await checkpoint(held);
      return { commit: true };
    } finally {
      held.busy = false;
    }
  };

  const assigned = (slots: TopicPartition[]): void => {
    assignment = slots;
    const keys = new Set(slots.map(slotKey));
    for (const key of partitions.keys()) if (!keys.has(key)) partitions.delete(key);
    logger.info({ groupId, partitions: slots.map(slotKey) }, 'service_partitions_assigned');
    restoreMissing(slots);
  };

  /** A failed read is retried by the next batch of the partition, or by `whileNotReady` for one that stays quiet. */
  const restoreMissing = (slots: TopicPartition[]): void => {
    restore(slots.filter((slot) => !partitions.has(slotKey(slot)))).catch((error: unknown) => {
      logger.warn({ err: error }, 'service_restore_failed');
    });
  };

  /** How far each assigned partition is behind its end; the bus's lag (from the committed offset) until a batch came. */
  const lagging = async (): Promise<{ restored: number; lag: number } | undefined> => {
    if (assignment === undefined) return undefined;
    const restored = assignment.filter((slot) => partitions.has(slotKey(slot))).length;
    let lag = 0;
    let busLag: Map<string, number> | undefined;
    for (const slot of assignment) {
      const held = partitions.get(slotKey(slot));
      if (held?.end !== undefined) {
        lag = Math.max(lag, held.end - held.next);
        continue;
      }
      busLag ??= new Map((await bus.consumerLag()).filter((l) => l.group === groupId).map((l) => [slotKey(l), l.lag]));
      lag = Math.max(lag, busLag.get(slotKey(slot)) ?? 0);
    }
    metrics.assigned.set({ service }, assignment.length);
    metrics.restored.set({ service }, restored);
    metrics.progress.set({ service }, assignment.length === 0 ? 1 : restored / assignment.length);
    return { restored, lag };
  };

  const ready = async (): Promise<boolean> => {
    if (options.enabled === false) return true;
    const state = await lagging();
    const isReady = state !== undefined && state.restored === assignment?.length && state.lag <= settings.readyMaxLag;
    if (isReady && !wasReady) logger.info({ groupId, partitions: assignment?.length, lag: state.lag, ms: now() - startedAt }, 'service_ready');
    wasReady = isReady;
    return isReady;
  };

  const timers: NodeJS.Timeout[] = [];
  const flushQuiet = (): void => {
    for (const held of partitions.values()) {
      if (held.busy || held.sinceCheckpoint === 0 || now() - held.checkpointedAt < settings.checkpointIntervalMs) continue;
      held.busy = true;
      checkpoint(held)
        .catch((error: unknown) => logger.warn({ err: error, ...held.slot }, 'service_checkpoint_failed'))
        .finally(() => { held.busy = false; });
    }
  };
  const whileNotReady = (): void => {
    void ready().then((isReady) => {
      if (isReady) return;
      if (assignment !== undefined && loading === undefined) restoreMissing(assignment);
      return lagging().then((state) => logger.info({
        assigned: assignment?.length, restored: state?.restored ?? 0, lag: state?.lag, ms: now() - startedAt,
      }, 'service_restore_progress'));
    }).catch(() => undefined);
  };

  const consumer = createBusConsumer({
    bus, groupId, topics: options.topics, fromBeginning: true, handle, assigned, logger,
    startedEvent: options.startedEvent, startedFields: options.startedFields, enabled: options.enabled,
    started() {
      startedAt = now();
      timers.push(setInterval(flushQuiet, Math.max(100, Math.floor(settings.checkpointIntervalMs / 2))));
      timers.push(setInterval(whileNotReady, settings.restoreLogIntervalMs));
      for (const timer of timers) timer.unref();
    },
    stopping() {
      for (const timer of timers.splice(0)) clearInterval(timer);
    },
    async stopped() {
      // What was applied since the last checkpoint: kept, so a planned restart replays nothing.
      await Promise.all([...partitions.values()].filter((held) => held.sinceCheckpoint > 0).map((held) =>
        checkpoint(held).catch((error: unknown) => logger.warn({ err: error, ...held.slot }, 'service_checkpoint_failed'))));
      partitions.clear();
    },
  });
  return {
    ...consumer,
    ready,
    owned: () => [...partitions.values()].filter((held) => isAssigned(slotKey(held.slot))),
  };
}
