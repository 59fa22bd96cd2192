/**
 * The uplink's metrics, and the backlog gauges read from `buffer.stats()` at scrape time (so
 * they cost nothing between scrapes and are never stale).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PRIORITIES, type RecordBuffer } from '../buffer/buffer.js';
import type { FailureClass } from './answer.js';

export type BatchOutcome = 'accepted' | 'split' | 'failed';
export type RecordOutcome = 'accepted' | 'duplicate' | 'rejected' | 'quarantined';

export interface UplinkMetrics {
  batches: Counter<'outcome'>;
  records: Counter<'outcome'>;
  rejectedByReason: Counter<'reason'>;
  errors: Counter<'class'>;
  duration: Histogram<'status_class'>;
  backoff: Gauge;
}

export function createUplinkMetrics(registry: Registry, buffer: RecordBuffer): UplinkMetrics {
  const registers = [registry];
  const metrics: UplinkMetrics = {
    batches: new Counter({ name: 'fleetwire_uplink_batches_total', help: 'Batch attempts by outcome', labelNames: ['outcome'], registers }),
    records: new Counter({
      name: 'fleetwire_uplink_records_total',
      help: 'Records that left the edge by outcome (accepted, duplicate and rejected by the cloud; quarantined by the edge)',
      labelNames: ['outcome'],
      registers,
    }),
    rejectedByReason: new Counter({
      name: 'fleetwire_uplink_rejected_records_total',
      help: 'Records the cloud dead-lettered, by reason code',
      labelNames: ['reason'],
      registers,
    }),
    errors: new Counter({ name: 'fleetwire_uplink_errors_total', help: 'Failed attempts by class', labelNames: ['class'], registers }),
    duration: new Histogram({
      name: 'fleetwire_uplink_request_duration_seconds',
      help: 'Batch request latency, answer read included',
      labelNames: ['status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    backoff: new Gauge({ name: 'fleetwire_uplink_backoff_seconds', help: 'Current back-off wait, 0 while sending', registers }),
  };
  for (const failureClass of ['network', 'timeout', 'server', 'throttled', 'auth', 'config'] satisfies FailureClass[]) {
    metrics.errors.inc({ class: failureClass }, 0);
  }
  registerBacklogGauges(registry, buffer);
  return metrics;
}

function registerBacklogGauges(registry: Registry, buffer: RecordBuffer): void {
  const registers = [registry];
  new Gauge({
    name: 'fleetwire_buffer_backlog_records',
    help: 'Records waiting in the edge buffer, by priority',
    labelNames: ['priority'],
    registers,
    collect() {
      const { byPriority } = buffer.stats();
      for (const priority of PRIORITIES) this.set({ priority }, byPriority[priority]);
    },
  });
  new Gauge({
    name: 'fleetwire_buffer_backlog_bytes',
    help: 'Record JSON bytes waiting in the edge buffer',
    registers,
    collect() {
      this.set(buffer.stats().bytes);
    },
  });
  new Gauge({
    name: 'fleetwire_buffer_oldest_unsent_age_seconds',
    help: 'Age of the oldest record not yet acknowledged by the cloud (0 when empty)',
    registers,
    collect() {
      this.set((buffer.stats().oldestUnsentAgeMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'fleetwire_buffer_quarantined_records',
    help: 'Entries in the edge quarantine table',
    registers,
    collect() {
      this.set(buffer.stats().quarantined);
    },
  });
  new Gauge({
    name: 'fleetwire_buffer_quarantined_bytes',
    help: 'Original input bytes held in the edge quarantine table',
    registers,
    collect() {
      this.set(buffer.stats().quarantinedBytes);
    },
  });
  // The ledger is persistent; the counter follows it by the difference since the last scrape.
  const seen: Record<string, number> = {};
  new Counter({
    name: 'fleetwire_buffer_ledger_records_total',
    help: 'Records that left the buffer without reaching the cloud (compacted, evicted, expired) or were ignored as duplicates, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      for (const [reason, count] of Object.entries(buffer.stats().ledger)) {
        const delta = count - (seen[reason] ?? 0);
        if (delta > 0) this.inc({ reason }, delta);
        seen[reason] = count;
      }
    },
  });
}
