/** The intake stage's own metrics, registered on the agent's one registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface IntakeMetrics {
  /** Committed device records by record kind (vehicle_telemetry, charger_telemetry, event). */
  messages: Counter<'kind'>;
  /** Quarantined or refused messages by protocol reason code. */
  rejected: Counter<'reason'>;
  /** Telemetry fields the schema did not know, by what became of them (keep, drop). */
  unknownFields: Counter<'policy'>;
  /** Accepted breaks in a device's physical history (long_gap, rebased, register_reset, register_rollover). */
  discontinuities: Counter<'kind'>;
  /** Refused MQTT connections by refusal reason. */
  authRefused: Counter<'reason'>;
  /** Events raised by the local rules, by event type. */
  ruleEvents: Counter<'type'>;
  /** From receipt to committed in SQLite (the PUBACK waits for this). */
  commitLatency: Histogram;
  /** Connected, authenticated devices. */
  connectedDevices: Gauge;
}

export function createIntakeMetrics(registry: Registry): IntakeMetrics {
  return {
    messages: new Counter({ name: 'fleetwire_intake_messages_total', help: 'Device records committed to the buffer, by record kind', labelNames: ['kind'], registers: [registry] }),
    rejected: new Counter({ name: 'fleetwire_intake_rejected_total', help: 'Messages quarantined or refused, by reason code', labelNames: ['reason'], registers: [registry] }),
    unknownFields: new Counter({ name: 'fleetwire_intake_unknown_fields_total', help: 'Telemetry fields the schema did not know, by policy applied (keep: under ext, drop: removed)', labelNames: ['policy'], registers: [registry] }),
    discontinuities: new Counter({ name: 'fleetwire_intake_discontinuities_total', help: 'Accepted breaks in a device history (long_gap, rebased, register_reset, register_rollover)', labelNames: ['kind'], registers: [registry] }),
    authRefused: new Counter({ name: 'fleetwire_intake_auth_refused_total', help: 'MQTT connections refused, by reason', labelNames: ['reason'], registers: [registry] }),
    ruleEvents: new Counter({ name: 'fleetwire_intake_rule_events_total', help: 'Events raised by local rules, by event type', labelNames: ['type'], registers: [registry] }),
    commitLatency: new Histogram({
      name: 'fleetwire_intake_commit_latency_seconds',
      help: 'Time from receipt to SQLite commit of a device message',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    connectedDevices: new Gauge({ name: 'fleetwire_intake_connected_devices', help: 'Authenticated devices connected to the embedded broker', registers: [registry] }),
  };
}
