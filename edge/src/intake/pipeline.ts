/**
 * The durable intake pipeline shared by every source:
 *   authorise topic → decode (size, JSON, schema, impossible values, clock; one reading or an
 *   array of them) → physics against the device's last plausible reading → message id (from the
 *   content when the device gave none) → local rules → one group-committed append of the
 *   message's records and the events they raised.
 * `accept` resolves after the commit; a source acknowledges its sender only then.
 *
 * Per-device state (physics tracks, rule state) is updated synchronously, before the commit is
 * awaited, so concurrent messages of one device see it in arrival order. The tracks live in
 * memory and are seeded by the first reading after a start; a corrupt first reading is healed
 * by the rebase rule (protocol telemetry/plausibility/judge.ts) after a few good ones.
 */
import {
  assignRecordId,
  authorizePublish,
  chargerQuantities,
  decodeDeviceMessage,
  judgeReading,
  parseTopic,
  readingClock,
  vehicleQuantities,
  type DeviceIdentity,
  type FleetRecord,
  type PendingRecord,
  type ReasonCode,
  type Tracks,
} from '@fleetwire/protocol';
import type { Logger } from 'pino';
import type { RecordBuffer } from '../buffer/buffer.js';
import type { LocalRules } from '../rules/local-rules.js';
import type { DeviceMessage, IntakeOutcome, IntakePipeline } from './intake.js';
import { contentMessageId } from '../message-ids.js';
import type { IntakeMetrics } from './metrics.js';
import { createRepeatedLog } from '../logging/repeated-log.js';
import { DEFAULT_TELEMETRY_OPTIONS, type TelemetryOptions } from './telemetry-options.js';

export interface IntakePipelineOptions {
  buffer: RecordBuffer;
  rules: LocalRules;
  metrics: IntakeMetrics;
  logger: Logger;
  /** Payloads above this many bytes are quarantined as `payload_too_large`. */
  maxPayloadBytes: number;
  /** Device clocks further off than this are flagged on the record. */
  maxClockSkewMs: number;
  /** Unknown-field policy and physics limits (config section `telemetry`). */
  telemetry?: TelemetryOptions;
  /** Bridge mode: is this (topic-derived) device one this node serves? Default: every device. */
  servesDevice?: (identity: DeviceIdentity) => boolean;
  /** Sees every device record once it is committed (vision keeps vehicles' last positions). */
  observe?: (record: FleetRecord) => void;
}

const TOPIC_REASONS: ReadonlySet<ReasonCode> = new Set(['topic_forbidden', 'topic_unknown']);

interface Refusal {
  reason: ReasonCode;
  detail: string;
  bytes: Buffer;
}

export function createIntakePipeline(options: IntakePipelineOptions): IntakePipeline {
  const { buffer, rules, metrics } = options;
  const { unknownFields, plausibility } = options.telemetry ?? DEFAULT_TELEMETRY_OPTIONS;
  const logger = options.logger.child({ stage: 'intake' });
  const tracks = new Map<string, Tracks>();
  // A device sending junk sends it again and again: logged when it starts, then counted.
  const quarantined = createRepeatedLog(logger, { event: 'message_quarantined', level: 'info' });
  const refusedPublishes = createRepeatedLog(logger, { event: 'publish_refused', level: 'warn' });
  // Label children bound once: the hot path then skips prom-client's per-call label hashing.
  const committedByKind = {
    vehicle_telemetry: metrics.messages.labels('vehicle_telemetry'),
    charger_telemetry: metrics.messages.labels('charger_telemetry'),
    event: metrics.messages.labels('event'),
  };

  async function quarantine(message: DeviceMessage, refusal: Refusal): Promise<void> {
    const { identity } = message;
    const { reason, detail } = refusal;
    await buffer.quarantine({
      receivedAt: message.receivedAt,
      reason,
      detail,
      topic: message.topic,
      ...(identity ? { source: { kind: identity.kind, id: identity.deviceId } } : {}),
      bytes: refusal.bytes,
    });
    metrics.rejected.inc({ reason });
    quarantined.note(`${identity?.deviceId ?? message.topic}:${reason}`, { reason, detail, topic: message.topic, deviceId: identity?.deviceId });
  }

  /** Physics of a telemetry reading against the device's tracks; moves them (synchronously). */
  function judgePhysics(deviceId: string, pending: PendingRecord): Refusal | undefined {
    if (plausibility === undefined || pending.kind === 'event') return undefined;
    const clock = readingClock(pending);
    const quantities = pending.kind === 'vehicle_telemetry' ? vehicleQuantities(pending.payload, clock) : chargerQuantities(pending.payload, clock);
    if (quantities.length === 0) return undefined;
    const verdict = judgeReading(tracks.get(deviceId) ?? {}, quantities, plausibility);
    tracks.set(deviceId, verdict.tracks);
    if (!verdict.ok) return { reason: verdict.reason, detail: verdict.detail, bytes: Buffer.alloc(0) };
    for (const { key, kind } of verdict.discontinuities) {
      metrics.discontinuities.inc({ kind });
      logger.info({ event: 'telemetry_discontinuity', deviceId, quantity: key, kind }, 'telemetry_discontinuity');
    }
    return undefined;
  }

  async function admit(message: DeviceMessage): Promise<IntakeOutcome> {
    const started = performance.now();
    const { identity } = message;
    if (!identity) {
      const reason = parseTopic(message.topic).ok ? 'topic_forbidden' : 'topic_unknown';
      await quarantine(message, { reason, detail: `no device identity for ${message.topic}`, bytes: message.bytes });
      return { status: 'refused', reason };
    }
    if (options.servesDevice && !options.servesDevice(identity)) {
      await quarantine(message, { reason: 'device_not_allowed', detail: `${identity.kind} ${identity.deviceId} is not served by this node`, bytes: message.bytes });
      return { status: 'quarantined', reason: 'device_not_allowed' };
    }
    const decoded = decodeDeviceMessage({
      topic: message.topic,
      bytes: message.bytes,
      identity,
      receivedAt: message.receivedAt,
      maxBytes: options.maxPayloadBytes,
      maxClockSkewMs: options.maxClockSkewMs,
      unknownFields,
    });
    if (!decoded.ok) {
      // decode authorises the topic first; a topic reason is a refusal only when the topic
      // itself is not the device's (an event type the device may not send is bad content).
      const topic = TOPIC_REASONS.has(decoded.reason) ? authorizePublish(identity, message.topic) : undefined;
      await quarantine(message, { reason: decoded.reason, detail: decoded.detail, bytes: message.bytes });
      if (topic && !topic.ok) {
        refusedPublishes.note(`${identity.deviceId}:${topic.reason}`, { reason: topic.reason, topic: message.topic, deviceId: identity.deviceId });
        return { status: 'refused', reason: topic.reason };
      }
      return { status: 'quarantined', reason: decoded.reason };
    }
    const { array, readings } = decoded.value;
    if (decoded.value.unknownFields > 0) countUnknownFields(decoded.value.unknownFields, decoded.value.droppedFields);
    // Every decision is taken before the first await, so the device's next message sees its outcome.
    const refusals: Refusal[] = [];
    const records: FleetRecord[] = [];
    for (const reading of readings) {
      if (!reading.ok) {
        refusals.push({ reason: reading.reason, detail: reading.detail, bytes: Buffer.from(reading.json) });
        continue;
      }
      const pending = reading.record;
      const implausible = judgePhysics(identity.deviceId, pending);
      if (implausible !== undefined) {
        // The original bytes: the whole message, or the one reading of an array.
        const bytes = array ? Buffer.from(JSON.stringify(reading.element)) : message.bytes;
        refusals.push({ ...implausible, detail: array ? `reading [${reading.index}]: ${implausible.detail}` : implausible.detail, bytes });
        continue;
      }
      records.push(pending.id === undefined ? assignRecordId(pending, contentMessageId(identity.deviceId, message.topic, message.bytes, reading.index)) : (pending as FleetRecord));
    }
    const appended: FleetRecord[] = [];
    const raised: string[] = [];
    for (const record of records) {
      const events = rules.evaluate(record);
      appended.push(record, ...events);
      for (const event of events) raised.push(event.payload.type);
    }
    for (const refusal of refusals) await quarantine(message, refusal);
    if (records.length === 0) return { status: 'quarantined', reason: refusals[0]!.reason };
    await buffer.append(appended);
    for (const record of records) {
      options.observe?.(record);
      committedByKind[record.kind].inc();
    }
    for (const type of raised) metrics.ruleEvents.inc({ type });
    metrics.commitLatency.observe((performance.now() - started) / 1000);
    const [first] = records;
    return array ? { status: 'committed', id: first!.id, ids: records.map((record) => record.id) } : { status: 'committed', id: first!.id };
  }

  function countUnknownFields(seen: number, dropped: number): void {
    if (dropped > 0) metrics.unknownFields.inc({ policy: 'drop' }, dropped);
    if (seen > dropped) metrics.unknownFields.inc({ policy: unknownFields }, seen - dropped);
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
