/** The time-series sink's own telemetry; labels come from fixed lists. */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface TsdbSinkMetrics {
  pointsWritten: Counter;
  /** kind: `retryable` (batch re-delivered) or `rejected` (the TSDB refused the data: narrowed down, refused records dead-lettered). */
  writeErrors: Counter<'kind'>;
  writeSeconds: Histogram;
  /** reason: a protocol reason code. */
  recordsSkipped: Counter<'reason'>;
  /** reason: `tsdb_rejected`, or the protocol reason a value did not decode for. */
  recordsDeadLettered: Counter<'reason'>;
  duplicatesDropped: Counter;
}

export function createTsdbSinkMetrics(registry: Registry): TsdbSinkMetrics {
  const registers = [registry];
  return {
    pointsWritten: new Counter({ name: 'fleetwire_tsdb_points_written_total', help: 'Points the TSDB acknowledged', registers }),
    writeErrors: new Counter({
      name: 'fleetwire_tsdb_write_errors_total', help: 'Failed TSDB writes, by kind', labelNames: ['kind'], registers,
    }),
    writeSeconds: new Histogram({
      name: 'fleetwire_tsdb_write_duration_seconds', help: 'Latency of one TSDB write (one consumed batch)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    }),
    recordsSkipped: new Counter({
      name: 'fleetwire_tsdb_records_skipped_total', help: 'Bus records that could not be decoded, by reason', labelNames: ['reason'], registers,
    }),
    recordsDeadLettered: new Counter({
      name: 'fleetwire_tsdb_records_dead_lettered_total', help: 'Bus records the sink sent to the dead-letter topic, by reason', labelNames: ['reason'], registers,
    }),
    duplicatesDropped: new Counter({
      name: 'fleetwire_tsdb_duplicates_dropped_total', help: 'Records dropped as duplicates (same message id) within a batch', registers,
    }),
  };
}
