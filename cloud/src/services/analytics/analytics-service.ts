/**
 * The analytics service, in two stages on the checkpointed partition machinery (../checkpointed/,
 * docs/analytics.md "Scaling and restarts"):
 *
 * 1. **Partials** (group `{groupId}`, per input partition). Each batch of telemetry and events is
 *    folded into a partial (partition-partials.ts) — the facts of the open days and booking
 *    windows, keyed by business id, and the partition's event time — produced to
 *    `fleetwire.analytics.partials` before the batch counts as applied. The checkpointed state is
 *    only the partition's event time, so a restore replays the tail after the checkpoint, whose
 *    partials repeat facts the second stage already has (merged by id: no change).
 * 2. **Reports** (group `{groupId}-reports`). Every partial carries the same key, so one
 *    partition of the partials topic — one instance at a time — merges them all
 *    (analytics-state.ts), closes the days and windows every input partition's event time has
 *    passed, and produces the DailyUsageReports and DemandSpikes; the reports are kept in its
 *    checkpointed state until the bus stored them. It also emits the FleetStatusSnapshots, from
 *    the fleet service's reader and the open bookings it merged.
 *
 * Closing after a merged batch counts no partition as idle, so what closes is a function of the
 * partials alone; a timer (every idlePartitionMs / 2) also closes what silent partitions held
 * back, once the second stage has caught up with the partials topic. The daily reports for the
 * API are in the second stage's state: every instance answers from it, live where it holds it,
 * else from the holder's checkpoint (shared-view.ts).
 */
import { BUS_HEADERS, BUS_TOPICS, toBusMessage, type EventRecord } from '@fleetwire/protocol';
import type { DeliveredMessage } from '../../bus/bus.js';
import type { BusConsumer } from '../../bus-consumer.js';
import { decodeBatch } from '../bus-records.js';
import { createCheckpointStore, slotKey } from '../checkpointed/checkpoint-store.js';
import { createPartitionedConsumer, type PartitionState } from '../checkpointed/partitioned-consumer.js';
import { createSharedView } from '../checkpointed/shared-view.js';
import { decodeSnapshot, encodeSnapshot } from '../checkpointed/snapshot-codec.js';
import { closeReady, createAnalyticsState, listSources, mergePartial, type AnalyticsState } from './analytics-state.js';
import { addReport, reportsBetween, type DailyReportReader } from './daily-report-store.js';
import { fleetSnapshot } from './fleet-snapshot.js';
import { createAnalyticsMetrics } from './metrics.js';
import { isBooked } from './open-bookings.js';
import { resolveAnalyticsOptions, type AnalyticsServiceOptions } from './options.js';
import { emptyPartial, foldRecord, type Partial, type SourceClock } from './partition-partials.js';
import { dailyUsageRecord, demandSpikeRecord, fleetSnapshotRecord } from './report-events.js';
import { REPORTS_GROUP_SUFFIX } from './settings.js';

/** Ready once both stages hold their partitions, restored and caught up. */
export interface AnalyticsService extends BusConsumer {
  /** The daily usage reports emitted or read back so far, for the read API. */
  readonly reports: DailyReportReader;
}

/** One key: the second stage merges the whole fleet's partials in one place (docs/analytics.md says why). */
const PARTIALS_KEY = 'fleet';

export function createAnalyticsService(input: AnalyticsServiceOptions): AnalyticsService {
  const options = resolveAnalyticsOptions(input);
  const { bus, fleet, now } = options;
  const logger = options.logger.child({ service: 'analytics' });
  const store = createCheckpointStore(bus);
  const settings = {
    checkpointIntervalMs: options.checkpointIntervalMs, checkpointRecords: options.checkpointRecords, readyMaxLag: options.readyMaxLag,
    viewRefreshMs: options.viewRefreshMs, restoreLogIntervalMs: options.restoreLogIntervalMs,
  };
  const reportsGroup = `${options.groupId}${REPORTS_GROUP_SUFFIX}`;
  const snapshots = fleet !== undefined && options.snapshotIntervalMs > 0;

  /** The second stage's state, where this instance holds it. */
  const merging = (): PartitionState<AnalyticsState> | undefined => reports.owned().find((held) => held.next > 0);
  const metrics = createAnalyticsMetrics(options.metrics, {
    watermark: () => merging()?.state.clock.watermark ?? null,
    openDays: () => merging()?.state.days.size ?? 0,
    pendingReports: () => merging()?.state.pending.length ?? 0,
  });

  const applyInput = async (clock: SourceClock, batch: DeliveredMessage[], slot: { topic: string; partition: number }): Promise<void> => {
    const at = now();
    // Folded on a copy: a batch whose partial is not stored comes again and must meet the same clock.
    const after = { ...clock };
    const partial = emptyPartial(slotKey(slot), after);
    for (const { record } of decodeBatch(batch, metrics.recordsSkipped, logger, 'analytics_record_skipped')) {
      metrics.records.inc({ outcome: foldRecord(after, partial, record, at, options) });
    }
    try {
      await bus.produce([{ topic: BUS_TOPICS.analyticsPartials, key: PARTIALS_KEY, value: encodeSnapshot(partial), headers: { [BUS_HEADERS.kind]: 'analytics_partial' } }]);
    } catch (error) {
      metrics.produceFailures.inc({ what: 'partials' });
      logger.warn({ err: error, ...slot }, 'analytics_partial_not_stored');
      throw error;
    }
    clock.newest = after.newest;
  };

  /**
   * Every input partition (the first stage's group lists them all), so a first start waits for
   * each. Not only those with records left: one that delivered and committed may have its partial
   * still on the way.
   */
  const inputSources = async (): Promise<string[]> =>
    (await bus.consumerLag()).filter((lag) => lag.group === options.groupId).map((lag) => slotKey(lag));

  /** Closed reports join `pending`, in the state, until the bus stored them. */
  const close = (state: AnalyticsState, idlePartitionMs: number): number => {
    const at = now();
    const closed = closeReady(state, options, at, idlePartitionMs);
    for (const { dayStart, id, report } of closed.daily) {
      state.pending.push(dailyUsageRecord(dayStart, report, at));
      addReport(state.stored, id, report, options.maxStoredReports);
    }
    for (const { windowStart, area, spike } of closed.spikes) {
      state.pending.push(demandSpikeRecord(windowStart, options.spikeWindowMs, area, spike, at));
      logger.info({ area: area.key, window: spike.window, bookings: spike.bookings, baseline: spike.baseline, ratio: spike.ratio }, 'analytics_demand_spike');
    }
    if (closed.daily.length > 0) logger.info({ days: [...new Set(closed.daily.map((d) => d.report.date))], reports: closed.daily.length }, 'analytics_days_closed');
    return closed.daily.length + closed.spikes.length;
  };

  /** One produce at a time, so a batch and the timer never send the same pending report twice. */
  let sending: Promise<void> = Promise.resolve();
  const sendPending = (state: AnalyticsState): Promise<void> => {
    const turn = sending.then(async () => {
      const records: EventRecord[] = [...state.pending];
      if (records.length === 0) return;
      try {
        await bus.produce(records.map((record) => toBusMessage(record)));
      } catch (error) {
        metrics.produceFailures.inc({ what: 'reports' });
        logger.warn({ err: error, reports: records.length }, 'analytics_reports_not_stored');
        throw error;
      }
      state.pending = state.pending.filter((record) => !records.includes(record));
      for (const record of records) metrics.reportsEmitted.inc({ type: record.payload.type });
    });
    sending = turn.catch(() => undefined);
    return turn;
  };

  const applyPartials = async (state: AnalyticsState, batch: DeliveredMessage[]): Promise<void> => {
    if (!state.listed) listSources(state, await inputSources(), now());
    const at = now();
    for (const message of batch) {
      const late = mergePartial(state, decodeSnapshot(message.value) as Partial, at, options);
      metrics.partials.inc();
      if (late.day > 0) metrics.lateFacts.inc({ span: 'day' }, late.day);
      if (late.window > 0) metrics.lateFacts.inc({ span: 'window' }, late.window);
    }
    close(state, Infinity);
    await sendPending(state);
  };

  const decodeState = (data: unknown): AnalyticsState => {
    const state = data as AnalyticsState;
    // Heard now: a partition is judged idle by silence since this instance took the state over.
    for (const progress of state.clock.partitions.values()) progress.heardAt = now();
    return state;
  };

  const partials = createPartitionedConsumer<SourceClock>({
    bus, store, groupId: options.groupId, topics: options.topics, logger, metrics: options.metrics, service: 'analytics', settings,
    startedEvent: 'analytics_service_started', startedFields: { stage: 'partials' },
    create: () => ({ newest: null }),
    encode: (clock) => clock,
    decode: (data) => data as SourceClock,
    apply: applyInput,
  });
  const reports = createPartitionedConsumer<AnalyticsState>({
    bus, store, groupId: reportsGroup, topics: [BUS_TOPICS.analyticsPartials], logger, metrics: options.metrics, service: 'analytics_reports', settings,
    startedEvent: 'analytics_service_started', startedFields: { stage: 'reports', snapshots },
    create: createAnalyticsState,
    encode: (state) => state,
    decode: decodeState,
    apply: applyPartials,
  });
  const view = createSharedView<AnalyticsState>({
    store, groupId: reportsGroup, refreshMs: options.viewRefreshMs, decode: (data) => data as AnalyticsState, owned: () => reports.owned(), logger,
  });

  /** What silent partitions held back closes once the second stage has merged every partial there is. */
  const closeIdle = async (): Promise<void> => {
    const held = merging();
    if (held === undefined || held.busy || !held.state.listed || (held.end !== undefined && held.next < held.end)) return;
    // Counted as applied, so the checkpoint timer keeps what closed.
    if (close(held.state, options.idlePartitionMs) > 0) held.sinceCheckpoint += 1;
    await sendPending(held.state);
  };

  let lastSnapshotSlot: number | undefined;
  const snapshot = async (reader: NonNullable<typeof fleet>): Promise<void> => {
    const held = merging();
    if (held === undefined) return;
    const at = now();
    // One snapshot per interval slot: its id comes from the slot, so a restart within it repeats the id.
    const slot = Math.floor(at / options.snapshotIntervalMs) * options.snapshotIntervalMs;
    if (slot === lastSnapshotSlot) return;
    const data = fleetSnapshot(reader.vehicles(at), reader.chargers(at), (vehicleId) => isBooked(held.state.openBookings, vehicleId, at));
    try {
      await bus.produce([toBusMessage(fleetSnapshotRecord(slot, at, data, at))]);
      lastSnapshotSlot = slot;
      metrics.reportsEmitted.inc({ type: 'FleetStatusSnapshot' });
    } catch (error) {
      // Not retried: the next interval takes a fresh one, which is what a snapshot is for.
      metrics.produceFailures.inc({ what: 'snapshot' });
      logger.warn({ err: error }, 'analytics_snapshot_not_stored');
    }
  };

  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  const every = (ms: number, task: () => Promise<void>): void => {
    const timer = setInterval(() => {
      // Failures are counted and logged where they happen; the next turn retries.
      const turn = task().catch(() => undefined);
      running.add(turn);
      void turn.finally(() => running.delete(turn));
    }, ms);
    timer.unref();
    timers.push(timer);
  };

  return {
    async start() {
      await partials.start();
      await reports.start();
      view.start();
      every(Math.max(50, options.idlePartitionMs / 2), closeIdle);
      if (snapshots) every(options.snapshotIntervalMs, () => snapshot(fleet));
    },
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      view.stop();
      await Promise.all(running);
      await partials.stop();
      // Its stop checkpoints the state, the reports not yet stored included.
      await reports.stop();
    },
    ready: async () => (await partials.ready()) && (await reports.ready()),
    reports: { between: (from, to) => reportsBetween(view.states().map((state) => state.stored), from, to) },
  };
}
