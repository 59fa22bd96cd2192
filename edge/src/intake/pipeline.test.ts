import { createEvent, type DeviceIdentity, type FleetRecord } from '@fleetwire/protocol';
import { chargerTelemetryFixture, toPayloadBytes, tripEndedEventFixture, vehicleTelemetryFixture } from '@fleetwire/protocol/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { QuarantineEntry, RecordBuffer } from '../buffer/buffer.js';
import { EdgeError } from '../errors.js';
import { createLocalRules } from '../rules/local-rules.js';
import { createIntakeMetrics } from './metrics.js';
import { ruleEventId } from '../message-ids.js';
import { createIntakePipeline, type IntakePipelineOptions } from './pipeline.js';

/** Records what the pipeline commits; `failAppends` simulates a buffer that cannot commit. */
function fakeBuffer() {
  const appended: FleetRecord[][] = [];
  const quarantined: QuarantineEntry[] = [];
  const state = { failAppends: false };
  const buffer = {
    async append(records: readonly FleetRecord[]) {
      if (state.failAppends) throw new EdgeError('FW_BUFFER_FULL', 'full', { canRetry: true });
      appended.push([...records]);
    },
    async quarantine(entry: QuarantineEntry) {
      quarantined.push(entry);
    },
  } as unknown as RecordBuffer;
  return { buffer, appended, quarantined, state };
}

const VH: DeviceIdentity = { role: 'device', kind: 'vehicle', deviceId: 'VH-0001' };
const CH: DeviceIdentity = { role: 'device', kind: 'charger', deviceId: 'CH-0001' };
const vehicleTopic = 'fleetwire/v1/vehicle/VH-0001/telemetry';

function setup(overrides: Partial<IntakePipelineOptions> = {}) {
  const fake = fakeBuffer();
  const registry = new Registry();
  const metrics = createIntakeMetrics(registry);
  const rules = createLocalRules({ nodeId: 'node-1', batteryLow: { enabled: true, thresholdPct: 20, hysteresisPct: 5 }, chargerFaulted: { enabled: true } });
  const pipeline = createIntakePipeline({ buffer: fake.buffer, rules, metrics, logger: pino({ level: 'silent' }), maxPayloadBytes: 2048, maxClockSkewMs: 60_000, ...overrides });
  const count = async (name: string, labels: Record<string, string>) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    return (metric?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
  };
  return { ...fake, pipeline, count };
}

const message = (identity: DeviceIdentity | undefined, topic: string, payload: unknown) => ({
  identity,
  topic,
  bytes: Buffer.isBuffer(payload) ? payload : toPayloadBytes(payload),
  receivedAt: Date.now(),
});

describe('intake pipeline', () => {
  it('commits valid telemetry with the device-supplied id', async () => {
    const { pipeline, appended, count } = setup();
    const outcome = await pipeline.accept(message(VH, vehicleTopic, vehicleTelemetryFixture({ ts: Date.now(), seq: 5 })));
    expect(outcome).toEqual({ status: 'committed', id: 'VH-0001:b00t1:5' });
    expect(appended).toHaveLength(1);
    expect(appended[0]?.[0]).toMatchObject({ id: 'VH-0001:b00t1:5', kind: 'vehicle_telemetry', source: { kind: 'vehicle', id: 'VH-0001' } });
    expect(await count('fleetwire_intake_messages_total', { kind: 'vehicle_telemetry' })).toBe(1);
  });

  it('names a message without an id by its content: a re-send keeps its id, another reading gets another', async () => {
    const { pipeline, appended } = setup();
    const bare = { ...vehicleTelemetryFixture({ ts: Date.now() }) } as Record<string, unknown>;
    delete bare.epoch;
    delete bare.seq;
    const first = await pipeline.accept(message(VH, vehicleTopic, bare));
    const resent = await pipeline.accept(message(VH, vehicleTopic, bare));
    const later = await pipeline.accept(message(VH, vehicleTopic, { ...bare, ts: (bare.ts as number) + 1000 }));
    expect(first).toEqual({ status: 'committed', id: expect.stringMatching(/^VH-0001:c[0-9a-f]{31}:0$/) });
    expect(resent).toEqual(first);
    expect(later.status).toBe('committed');
    expect((later as { id: string }).id).not.toBe((first as { id: string }).id);
    expect(appended.map((records) => records[0]?.id)).toEqual([(first as { id: string }).id, (first as { id: string }).id, (later as { id: string }).id]);
  });

  it('quarantines bad content with its reason and original bytes while valid neighbours pass', async () => {
    const { pipeline, appended, quarantined, count } = setup();
    const cases: Array<[unknown, string]> = [
      [Buffer.from('{"v":1,'), 'malformed_json'],
      [{ v: 1, ts: 1 }, 'schema_violation'],
      [vehicleTelemetryFixture({ socPct: 140 }), 'impossible_value'],
      [Buffer.alloc(4096, 0x20), 'payload_too_large'],
    ];
    const outcomes = await Promise.all([
      ...cases.map(([payload]) => pipeline.accept(message(VH, vehicleTopic, payload))),
      pipeline.accept(message(VH, vehicleTopic, vehicleTelemetryFixture({ ts: Date.now(), seq: 77 }))),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['quarantined', 'quarantined', 'quarantined', 'quarantined', 'committed']);
    expect(quarantined.map((q) => q.reason)).toEqual(cases.map(([, reason]) => reason));
    expect(quarantined[0]?.bytes.toString()).toBe('{"v":1,');
    expect(quarantined[0]).toMatchObject({ topic: vehicleTopic, source: { kind: 'vehicle', id: 'VH-0001' } });
    expect(appended.flat().map((r) => r.id)).toEqual(['VH-0001:b00t1:77']);
    expect(await count('fleetwire_intake_rejected_total', { reason: 'impossible_value' })).toBe(1);
  });

  it('quarantines an odometer running backwards for that vehicle only', async () => {
    const { pipeline, quarantined } = setup();
    const at = (odometerKm: number, seq: number) => vehicleTelemetryFixture({ ts: Date.now(), odometerKm, seq });
    expect((await pipeline.accept(message(VH, vehicleTopic, at(1000, 1)))).status).toBe('committed');
    expect(await pipeline.accept(message(VH, vehicleTopic, at(999.5, 2)))).toEqual({ status: 'quarantined', reason: 'odometer_backwards' });
    expect((await pipeline.accept(message(VH, vehicleTopic, at(1000, 3)))).status).toBe('committed');
    const other: DeviceIdentity = { role: 'device', kind: 'vehicle', deviceId: 'VH-0002' };
    expect((await pipeline.accept(message(other, 'fleetwire/v1/vehicle/VH-0002/telemetry', { ...at(5, 1), deviceId: 'VH-0002' }))).status).toBe('committed');
    expect(quarantined.map((q) => q.reason)).toEqual(['odometer_backwards']);
  });

  it("refuses another device's topic, a commands topic and a publish without identity", async () => {
    const { pipeline, appended, quarantined, count } = setup();
    const payload = vehicleTelemetryFixture();
    expect(await pipeline.accept(message(VH, 'fleetwire/v1/vehicle/VH-0002/telemetry', payload))).toEqual({ status: 'refused', reason: 'topic_forbidden' });
    expect(await pipeline.accept(message(VH, 'fleetwire/v1/vehicle/VH-0001/commands/unlock', payload))).toEqual({ status: 'refused', reason: 'topic_forbidden' });
    expect(await pipeline.accept(message(VH, 'other/topic', payload))).toEqual({ status: 'refused', reason: 'topic_unknown' });
    expect(await pipeline.accept(message(undefined, vehicleTopic, payload))).toEqual({ status: 'refused', reason: 'topic_forbidden' });
    expect(appended).toEqual([]);
    expect(quarantined).toHaveLength(4);
    expect(await count('fleetwire_intake_rejected_total', { reason: 'topic_forbidden' })).toBe(3);
  });

  it('quarantines (but does not refuse) an event type the device may not send on its own topic', async () => {
    const { pipeline, quarantined, appended } = setup();
    const event = createEvent('ChargerFaulted', {
      eventId: 'VH-0001:b00t1:9',
      source: 'vehicle:VH-0001',
      subject: { kind: 'charger', id: 'CH-0001' },
      data: { chargerId: 'CH-0001', connectorId: 1, errorCode: 'GroundFailure' },
    });
    expect(await pipeline.accept(message(VH, 'fleetwire/v1/vehicle/VH-0001/events', event))).toEqual({ status: 'quarantined', reason: 'topic_forbidden' });
    expect(quarantined.map((q) => q.reason)).toEqual(['topic_forbidden']);
    expect(appended).toEqual([]);
  });

  it('commits rule events in the same append as the record that raised them', async () => {
    const { pipeline, appended, count } = setup();
    await pipeline.accept(message(CH, 'fleetwire/v1/charger/CH-0001/telemetry', chargerTelemetryFixture({ ts: Date.now(), status: 'Faulted', errorCode: 'GroundFailure' })));
    expect(appended).toHaveLength(1);
    expect(appended[0]?.map((r) => r.kind)).toEqual(['charger_telemetry', 'event']);
    expect(appended[0]?.[1]).toMatchObject({ id: ruleEventId('node-1', 'ChargerFaulted', 'CH-0001:c4arg3:7'), priority: 'critical', payload: { type: 'ChargerFaulted', correlationId: 'CH-0001:c4arg3:7' } });
    expect(await count('fleetwire_intake_rule_events_total', { type: 'ChargerFaulted' })).toBe(1);
  });

  it('commits device events at their priority', async () => {
    const { pipeline, appended } = setup();
    const outcome = await pipeline.accept(message(VH, 'fleetwire/v1/vehicle/VH-0001/events', tripEndedEventFixture()));
    expect(outcome).toEqual({ status: 'committed', id: 'VH-0001:b00t1:43' });
    expect(appended[0]?.[0]).toMatchObject({ kind: 'event', priority: 'critical' });
  });

  it('rejects (no acknowledgement) when the buffer cannot commit, and settle() waits for work under way', async () => {
    const { pipeline, state } = setup();
    state.failAppends = true;
    const pending = pipeline.accept(message(VH, vehicleTopic, vehicleTelemetryFixture({ ts: Date.now() })));
    await pipeline.settle();
    await expect(pending).rejects.toMatchObject({ code: 'FW_BUFFER_FULL' });
  });

  it('quarantines devices this node does not serve (bridge mode)', async () => {
    const { pipeline, quarantined } = setup({ servesDevice: (identity) => identity.deviceId !== 'VH-0001' });
    expect(await pipeline.accept(message(VH, vehicleTopic, vehicleTelemetryFixture()))).toEqual({ status: 'quarantined', reason: 'device_not_allowed' });
    expect(quarantined[0]?.reason).toBe('device_not_allowed');
  });
});
