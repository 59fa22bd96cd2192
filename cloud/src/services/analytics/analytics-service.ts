/**
 * The analytics service: a consumer group over the telemetry and event topics that folds every
 * record into open UTC days and booking windows (analytics-state.ts), and produces to the events
 * topic a DailyUsageReport per closed day (fleet-wide and per site), a DemandSpike per closed
 * window that exceeds its baseline, and — when given the fleet service's reader — a
 * FleetStatusSnapshot every `snapshotIntervalMs`.
 *
 * - Like the fleet state, the open days and windows are rebuilt at every start from the oldest
 *   record on the bus (a group of its own per process, `fromBeginning`), so committed offsets
 *   never matter for recovery. Reports it reads back from the bus are remembered and not
 *   emitted again; where one still is (read back only after the records that close its day),
 *   it carries the same id and consumers drop the duplicate.
 * - Days and windows close after each batch, and on a timer (every idlePartitionMs / 2), since
 *   a partition turning idle can move the watermark without any new record.
 * - Closed reports are pending until the bus stored them. A handler whose produce fails rejects,
 *   so the batch comes again (changing nothing, the fold is idempotent) and they are retried.
 * - A bus value that does not decode is counted, logged and skipped (bus-records.ts).
 */
import { toBusMessage, type EventRecord } from '@fleetwire/protocol';
import type { DeliveredMessage } from '../../bus/bus.js';
import { createBusConsumer, type BusConsumer } from '../../bus-consumer.js';
import { decodeBatch } from '../bus-records.js';
import { closeReady, createAnalyticsState, observeRecord } from './analytics-state.js';
import { createDailyReportStore, type DailyReportReader } from './daily-report-store.js';
import { watermarkOf } from './event-clock.js';
import { fleetSnapshot } from './fleet-snapshot.js';
import { createAnalyticsMetrics } from './metrics.js';
import { isBooked } from './open-bookings.js';
import { resolveAnalyticsOptions, type AnalyticsServiceOptions } from './options.js';
import { dailyUsageRecord, demandSpikeRecord, fleetSnapshotRecord } from './report-events.js';

/** Ready once subscribed to the bus; the days may still be catching up. */
export interface AnalyticsService extends BusConsumer {
  /** The daily usage reports computed or read back so far, for the read API. */
  readonly reports: DailyReportReader;
}

export function createAnalyticsService(input: AnalyticsServiceOptions): AnalyticsService {
  const options = resolveAnalyticsOptions(input);
  const { bus, fleet, now } = options;
  const logger = options.logger.child({ service: 'analytics' });
  const state = createAnalyticsState();
  const store = createDailyReportStore(options.maxStoredReports);
  let pending: EventRecord[] = [];
  const metrics = createAnalyticsMetrics(options.metrics, {
    watermark: () => watermarkOf(state.clock, now(), options.idlePartitionMs),
    openDays: () => state.days.size,
    pendingReports: () => pending.length,
  });
  const timers: NodeJS.Timeout[] = [];
  let producing: Promise<void> | undefined;
  let lastSnapshotSlot: number | undefined;

  /** One produce at a time, so the handler and the timer never send the same pending report twice. */
  const produceReports = async (): Promise<void> => {
    while (producing !== undefined) await producing.catch(() => undefined);
    if (pending.length === 0) return;
    // Taken out whole: reports closed by the timer while this produce runs wait for the next turn.
    const records = pending;
    pending = [];
    producing = bus.produce(records.map((record) => toBusMessage(record)));
    try {
      await producing;
    } catch (error) {
      pending = [...records, ...pending];
      metrics.produceFailures.inc({ what: 'reports' });
      logger.warn({ err: error, reports: records.length }, 'analytics_reports_not_stored');
      throw error;
    } finally {
      producing = undefined;
    }
    for (const record of records) metrics.reportsEmitted.inc({ type: record.payload.type });
  };

  const closeAndProduce = async (): Promise<void> => {
    const at = now();
    const closed = closeReady(state, options, at);
    for (const { dayStart, id, report } of closed.daily) {
      pending.push(dailyUsageRecord(dayStart, report, at));
      store.add(id, report);
    }
    for (const { windowStart, area, spike } of closed.spikes) {
      pending.push(demandSpikeRecord(windowStart, options.spikeWindowMs, area, spike, at));
      logger.info({ area: area.key, window: spike.window, bookings: spike.bookings, baseline: spike.baseline, ratio: spike.ratio }, 'analytics_demand_spike');
    }
    if (closed.daily.length > 0) logger.info({ days: [...new Set(closed.daily.map((d) => d.report.date))], reports: closed.daily.length }, 'analytics_days_closed');
    await produceReports();
  };

  const handle = async (batch: DeliveredMessage[]): Promise<void> => {
    for (const { message, record } of decodeBatch(batch, metrics.recordsSkipped, logger, 'analytics_record_skipped')) {
      const outcome = observeRecord(state, record, { partition: `${message.topic}/${message.partition}`, now: now() }, options);
      metrics.records.inc({ outcome });
      if (outcome === 'own_report' && record.kind === 'event' && record.payload.type === 'DailyUsageReport') store.add(record.id, record.payload.data);
    }
    await closeAndProduce();
  };

  const snapshot = async (reader: NonNullable<typeof fleet>): Promise<void> => {
    const at = now();
    // One snapshot per interval slot: its id comes from the slot, so a restart within it repeats the id.
    const slot = Math.floor(at / options.snapshotIntervalMs) * options.snapshotIntervalMs;
    if (slot === lastSnapshotSlot) return;
    const data = fleetSnapshot(reader.vehicles(at), reader.chargers(at), (vehicleId) => isBooked(state.openBookings, vehicleId, at));
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

  const running = new Set<Promise<void>>();
  const every = (ms: number, task: () => Promise<void>): void => {
    const timer = setInterval(() => {
      const turn = task().catch(() => undefined);
      running.add(turn);
      void turn.finally(() => running.delete(turn));
    }, ms);
    timer.unref();
    timers.push(timer);
  };

  const snapshots = fleet !== undefined && options.snapshotIntervalMs > 0;
  return {
    ...createBusConsumer({
      bus, groupId: options.groupId, topics: options.topics, fromBeginning: true, handle, logger,
      startedEvent: 'analytics_service_started', startedFields: { snapshots },
      started() {
        // Failures are counted and logged where they happen; the next turn retries.
        every(Math.max(50, options.idlePartitionMs / 2), closeAndProduce);
        if (snapshots) every(options.snapshotIntervalMs, () => snapshot(fleet));
      },
      stopping() {
        for (const timer of timers.splice(0)) clearInterval(timer);
      },
      async stopped() {
        // Reports a timer turn closed are sent before the bus closes; what still fails is
        // rebuilt from the bus at the next start.
        await Promise.all(running);
        await produceReports().catch(() => undefined);
      },
    }),
    reports: store,
  };
}
