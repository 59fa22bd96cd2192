import { describe, expect, it } from 'vitest';
import { sumMetric } from './metrics-text.js';

const TEXT = `# HELP fleetwire_ingest_records_total Records
# TYPE fleetwire_ingest_records_total counter
fleetwire_ingest_records_total{outcome="accepted",kind="vehicle_telemetry"} 40
fleetwire_ingest_records_total{outcome="accepted",kind="event"} 2
fleetwire_ingest_records_total{outcome="duplicate",kind="event"} 5
fleetwire_buffer_backlog_records 17
fleetwire_buffer_backlog_records_extra 99
`;

describe('sumMetric', () => {
  it('sums every series of a metric', () => {
    expect(sumMetric(TEXT, 'fleetwire_ingest_records_total')).toBe(47);
  });
  it('keeps only series whose labels match', () => {
    expect(sumMetric(TEXT, 'fleetwire_ingest_records_total', { outcome: 'accepted' })).toBe(42);
  });
  it('reads an unlabelled gauge and does not confuse names sharing a prefix', () => {
    expect(sumMetric(TEXT, 'fleetwire_buffer_backlog_records')).toBe(17);
  });
  it('is zero for a metric that is absent', () => {
    expect(sumMetric(TEXT, 'fleetwire_nothing_total')).toBe(0);
  });
});
