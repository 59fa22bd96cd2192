/** The business events API's telemetry; labels come from fixed lists (outcomes, reason codes), never client ids. */
import { Counter, type Registry } from 'prom-client';

export interface BusinessEventsMetrics {
  /** outcome: `accepted`, `duplicate`, or the error reason (`auth_invalid`, `event_invalid`, `bus_unavailable`, …). */
  requests: Counter<'outcome'>;
  /** reason: the protocol reason code of a refused event, whose body went to the DLQ. */
  deadLettered: Counter<'reason'>;
}

export function createBusinessEventsMetrics(registry: Registry): BusinessEventsMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'fleetwire_business_events_requests_total',
      help: 'Business event requests answered, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'fleetwire_business_events_dead_lettered_total',
      help: 'Refused business events whose bodies went to the dead-letter topic, by reason code',
      labelNames: ['reason'],
      registers,
    }),
  };
}
