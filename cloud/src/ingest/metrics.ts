/**
 * Ingest's own telemetry. Labels are bounded: batch outcomes and reason codes come from fixed
 * lists, never from node or device ids.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface IngestMetrics {
  /** outcome: `accepted`, `replayed`, or the error reason (`batch_corrupt`, `auth_invalid`, …). */
  batches: Counter<'outcome'>;
  /** outcome: `accepted`, `duplicate`, `rejected`. */
  records: Counter<'outcome'>;
  /** reason: a protocol reason code. */
  rejectedRecords: Counter<'reason'>;
  produceSeconds: Histogram;
  inFlight: Gauge;
  queued: Gauge;
}

/** What the gauges read at scrape time. */
export interface IngestLoad {
  readonly inFlight: number;
  readonly queued: number;
}

export function createIngestMetrics(registry: Registry, load: IngestLoad): IngestMetrics {
  const registers = [registry];
  return {
    batches: new Counter({
      name: 'fleetwire_ingest_batches_total',
      help: 'Batches answered, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    records: new Counter({
      name: 'fleetwire_ingest_records_total',
      help: 'Records in answered batches, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    rejectedRecords: new Counter({
      name: 'fleetwire_ingest_rejected_records_total',
      help: 'Records dead-lettered, by reason code',
      labelNames: ['reason'],
      registers,
    }),
    produceSeconds: new Histogram({
      name: 'fleetwire_ingest_produce_duration_seconds',
      help: 'Time for the bus to durably store one batch (accepted records and dead letters)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inFlight: new Gauge({
      name: 'fleetwire_ingest_in_flight_batches',
      help: 'Batches being decoded and produced now',
      registers,
      collect() {
        this.set(load.inFlight);
      },
    }),
    queued: new Gauge({
      name: 'fleetwire_ingest_queued_batches',
      help: 'Batches waiting for a produce slot',
      registers,
      collect() {
        this.set(load.queued);
      },
    }),
  };
}
