/** The analytics service's own telemetry; labels come from fixed lists. */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface AnalyticsMetrics {
  /** outcome: an `Observation` (analytics-state.ts). Re-deliveries are counted too: they change nothing. */
  records: Counter<'outcome'>;
  /** reason: the protocol reason a bus value did not decode for. */
  recordsSkipped: Counter<'reason'>;
  /** type: DailyUsageReport, DemandSpike, FleetStatusSnapshot. */
  reportsEmitted: Counter<'type'>;
  /**
   * what: `partials` (the first stage's batch is re-delivered), `reports` (kept and produced
   * again) or `snapshot` (the next interval makes a new one).
   */
  produceFailures: Counter<'what'>;
  /** Partials the second stage merged. */
  partials: Counter;
  /** span: `day` or `window`: facts (bookings, trips, payments, sessions, vehicles heard) left out of a closed one. */
  lateFacts: Counter<'span'>;
}

/** Read when scraped; null / 0 on an instance that does not hold the second stage. */
export interface AnalyticsGauges {
  watermark(): number | null;
  openDays(): number;
  pendingReports(): number;
}

export function createAnalyticsMetrics(registry: Registry, gauges: AnalyticsGauges): AnalyticsMetrics {
  const registers = [registry];
  new Gauge({
    name: 'fleetwire_analytics_watermark_seconds', help: 'The event clock days and windows close by (event-clock.ts), s since the epoch', registers,
    collect() {
      const watermark = gauges.watermark();
      if (watermark !== null) this.set(watermark / 1000);
    },
  });
  new Gauge({
    name: 'fleetwire_analytics_open_days', help: 'UTC days still open for records', registers,
    collect() {
      this.set(gauges.openDays());
    },
  });
  new Gauge({
    name: 'fleetwire_analytics_pending_reports', help: 'Reports closed but not yet stored on the bus', registers,
    collect() {
      this.set(gauges.pendingReports());
    },
  });
  return {
    records: new Counter({ name: 'fleetwire_analytics_records_total', help: 'Bus records observed, by outcome', labelNames: ['outcome'], registers }),
    recordsSkipped: new Counter({
      name: 'fleetwire_analytics_records_skipped_total', help: 'Bus records analytics could not decode, by reason', labelNames: ['reason'], registers,
    }),
    reportsEmitted: new Counter({ name: 'fleetwire_analytics_reports_emitted_total', help: 'Reports produced to the events topic, by type', labelNames: ['type'], registers }),
    produceFailures: new Counter({
      name: 'fleetwire_analytics_produce_failures_total', help: 'Failed produce calls of partials, reports or snapshots', labelNames: ['what'], registers,
    }),
    partials: new Counter({ name: 'fleetwire_analytics_partials_total', help: 'Partials of the first stage merged by the second', registers }),
    lateFacts: new Counter({
      name: 'fleetwire_analytics_late_facts_total', help: 'Facts left out because their day or booking window was closed, by span', labelNames: ['span'], registers,
    }),
  };
}
