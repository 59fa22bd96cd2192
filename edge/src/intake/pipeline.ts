/**
 * The durable intake pipeline shared by every source:
 *   authorise topic → decode (size, JSON, schema, impossible values, clock) → odometer check →
 *   message id (from the content when the device gave none) → local rules → one group-committed
 *   append of the record and the events it raised.
 * `accept` resolves after the commit; a source acknowledges its sender only then.
 *
 * Per-device state (last odometer, rule state) is updated synchronously, before
 * the commit is awaited, so concurrent messages of one device see it in arrival order. The
 * newest odometer reading (by device time) lives in memory and is seeded by the first message
 * after a start: a reading lower than one seen before a restart passes once.
 */
import {
  assignRecordId,
  authorizePublish,
  checkOdometer,
  decodeDeviceMessage,
  parseTopic,
  trustedTime,
  type DeviceIdentity,
  type FleetRecord,
  type OdometerReading,
  type ReasonCode,
} from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { RecordBuffer } from '../buffer/buffer.js';
import type { LocalRules } from '../rules/local-rules.js';
import type { DeviceMessage, IntakeOutcome, IntakePipeline } from './intake.js';
import { contentMessageId } from '../message-ids.js';
import type { IntakeMetrics } from './metrics.js';
import { createRepeatedLog } from '../logging/repeated-log.js';

export interface IntakePipelineOptions {
  buffer: RecordBuffer;
  rules: LocalRules;
  metrics: IntakeMetrics;
  logger: Logger;
  /** Payloads above this many bytes are quarantined as `payload_too_large`. */
  maxPayloadBytes: number;
  /** Device clocks further off than this are flagged on the record. */
  maxClockSkewMs: number;
  /** Bridge mode: is this (topic-derived) device one this node serves? Default: every device. */
  servesDevice?: (identity: DeviceIdentity) => boolean;
  /** Sees every device record once it is committed (vision keeps vehicles' last positions). */
  observe?: (record: FleetRecord) => void;
}

const TOPIC_REASONS: ReadonlySet<ReasonCode> = new Set(['topic_forbidden', 'topic_unknown']);

export function createIntakePipeline(options: IntakePipelineOptions): IntakePipeline {
  const { buffer, rules, metrics } = options;
  const logger = options.logger.child({ stage: 'intake' });
  const latestOdometer = new Map<string, OdometerReading>();
  // A device sending junk sends it again and again: logged when it starts, then counted.
  const quarantined = createRepeatedLog(logger, { event: 'message_quarantined', level: 'info' });
  const refusedPublishes = createRepeatedLog(logger, { event: 'publish_refused', level: 'warn' });
  // Label children bound once: the hot path then skips prom-client's per-call label hashing.
  const committedByKind = {
    vehicle_telemetry: metrics.messages.labels('vehicle_telemetry'),
    charger_telemetry: metrics.messages.labels('charger_telemetry'),
    event: metrics.messages.labels('event'),
  };

  async function quarantine(message: DeviceMessage, reason: ReasonCode, detail: string): Promise<void> {
    const { identity } = message;
    await buffer.quarantine({
      receivedAt: message.receivedAt,
      reason,
      detail,
      topic: message.topic,
      ...(identity ? { source: { kind: identity.kind, id: identity.deviceId } } : {}),
      bytes: message.bytes,
    });
    metrics.rejected.inc({ reason });
    quarantined.note(`${identity?.deviceId ?? message.topic}:${reason}`, { reason, detail, topic: message.topic, deviceId: identity?.deviceId });
  }

  async function admit(message: DeviceMessage): Promise<IntakeOutcome> {
    const started = performance.now();
    const { identity } = message;
    if (!identity) {
      const reason = parseTopic(message.topic).ok ? 'topic_forbidden' : 'topic_unknown';
      await quarantine(message, reason, `no device identity for ${message.topic}`);
      return { status: 'refused', reason };
    }
    if (options.servesDevice && !options.servesDevice(identity)) {
      await quarantine(message, 'device_not_allowed', `${identity.kind} ${identity.deviceId} is not served by this node`);
      return { status: 'quarantined', reason: 'device_not_allowed' };
    }
    const decoded = decodeDeviceMessage({
      topic: message.topic,
      bytes: message.bytes,
      identity,
      receivedAt: message.receivedAt,
      maxBytes: options.maxPayloadBytes,
      maxClockSkewMs: options.maxClockSkewMs,
    });
    if (!decoded.ok) {
      // decode authorises the topic first; a topic reason is a refusal only when the topic
      // itself is not the device's (an event type the device may not send is bad content).
      const topic = TOPIC_REASONS.has(decoded.reason) ? authorizePublish(identity, message.topic) : undefined;
      await quarantine(message, decoded.reason, decoded.detail);
      if (topic && !topic.ok) {
        refusedPublishes.note(`${identity.deviceId}:${topic.reason}`, { reason: topic.reason, topic: message.topic, deviceId: identity.deviceId });
        return { status: 'refused', reason: topic.reason };
      }
      return { status: 'quarantined', reason: decoded.reason };
    }
    const pending = decoded.value;
    if (pending.kind === 'vehicle_telemetry') {
      const odometer = checkOdometer(latestOdometer.get(identity.deviceId), { km: pending.payload.odometerKm, at: trustedTime(pending) });
      if (!odometer.ok) {
        await quarantine(message, odometer.reason, odometer.detail);
        return { status: 'quarantined', reason: odometer.reason };
      }
      latestOdometer.set(identity.deviceId, odometer.value);
    }
    const record: FleetRecord = pending.id === undefined ? assignRecordId(pending, contentMessageId(identity.deviceId, message.topic, message.bytes)) : (pending as FleetRecord);
    const events = rules.evaluate(record);
    await buffer.append(events.length === 0 ? [record] : [record, ...events]);
    options.observe?.(record);
    committedByKind[record.kind].inc();
    for (const event of events) metrics.ruleEvents.inc({ type: event.payload.type });
    metrics.commitLatency.observe((performance.now() - started) / 1000);
    return { status: 'committed', id: record.id };
  }

  let underway = 0;
  let whenIdle: Array<() => void> = [];
  const settled = (): void => {
    underway -= 1;
    if (underway > 0) return;
    const waiting = whenIdle;
    whenIdle = [];
    for (const resolve of waiting) resolve();
  };

  return {
    accept(message) {
      underway += 1;
      const outcome = admit(message);
      outcome.then(settled, settled);
      return outcome;
    },
    settle() {
      return underway === 0 ? Promise.resolve() : new Promise<void>((resolve) => whenIdle.push(resolve));
    },
  };
}
