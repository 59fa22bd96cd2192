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
      [{ v: 1, socPct: 50 }, 'schema_violation'],
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

  it('one corrupt reading (odometer +1,000,000 km within milliseconds) among good ones costs only itself', async () => {
    const { pipeline, appended, quarantined, count } = setup();
    const t0 = Date.now() - 60 * 5_000;
    const good = Array.from({ length: 60 }, (_, seq) => vehicleTelemetryFixture({ ts: t0 + seq * 5_000, seq, odometerKm: 20_000 + seq * 0.05, socPct: 80 - seq * 0.01 }));
    const corrupt = vehicleTelemetryFixture({ ts: t0 + 29 * 5_000 + 2, seq: 1000, odometerKm: 1_020_001.45 });
    const stream = [...good.slice(0, 30), corrupt, ...good.slice(30)];
    const outcomes = [];
    for (const payload of stream) outcomes.push(await pipeline.accept(message(VH, vehicleTopic, payload)));
    expect(outcomes.filter((o) => o.status !== 'committed')).toEqual([{ status: 'quarantined', reason: 'odometer_jump' }]);
    expect(appended.flat().map((r) => r.id)).toEqual(good.map((p) => `VH-0001:b00t1:${p.seq}`));
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatchObject({ reason: 'odometer_jump', bytes: toPayloadBytes(corrupt) });
    expect(quarantined[0]?.detail).toMatch(/^odometerKm: odometer went from 20001\.45 km to 1020001\.45 km/);
    expect(await count('fleetwire_intake_rejected_total', { reason: 'odometer_jump' })).toBe(1);
  });

  it('judges SoC and energy registers too, and counts accepted discontinuities', async () => {
    const { pipeline, count } = setup();
    const now = Date.now();
    expect((await pipeline.accept(message(VH, vehicleTopic, vehicleTelemetryFixture({ ts: now, seq: 1, socPct: 20 })))).status).toBe('committed');
    expect(await pipeline.accept(message(VH, vehicleTopic, vehicleTelemetryFixture({ ts: now + 1000, seq: 2, socPct: 90 })))).toEqual({ status: 'quarantined', reason: 'soc_jump' });
    const chargerTopic = 'fleetwire/v1/charger/CH-0001/telemetry';
    const meter = (seq: number, energyWh: number, sessionId: string | null) => chargerTelemetryFixture({ ts: now + seq * 10_000, seq, energyWh, sessionId });
    expect((await pipeline.accept(message(CH, chargerTopic, meter(1, 50_000, 's1')))).status).toBe('committed');
    expect(await pipeline.accept(message(CH, chargerTopic, meter(2, 40_000, 's1')))).toEqual({ status: 'quarantined', reason: 'energy_backwards' });
    expect((await pipeline.accept(message(CH, chargerTopic, meter(3, 0, 's2')))).status).toBe('committed');
    expect(await count('fleetwire_intake_discontinuities_total', { kind: 'register_reset' })).toBe(1);
  });

  it('can be switched off: then only the schema judges', async () => {
    const { pipeline } = setup({ telemetry: { unknownFields: 'keep', plausibility: undefined } });
    const now = Date.now();
    await pipeline.accept(message(VH, vehicleTopic, vehicleTelemetryFixture({ ts: now, seq: 1, odometerKm: 10 })));
    expect((await pipeline.accept(message(VH, vehicleTopic, vehicleTelemetryFixture({ ts: now + 1, seq: 2, odometerKm: 5 })))).status).toBe('committed');
  });

  it('commits each reading of an array message with its own id; a bad reading is quarantined alone, with its own bytes', async () => {
    const { pipeline, appended, quarantined } = setup();
    const now = Date.now();
    const readings = [
      { v: 1, ts: now, epoch: 'b00t1', seq: 10, socPct: 50 },
      { v: 1, ts: now + 1000, socPct: 140 },
      { v: 1, ts: now + 2000, odometerKm: 100 },
      { v: 1, ts: now + 3000, odometerKm: 100.01, cabinTempC: 20 },
    ];
    const bytes = toPayloadBytes(readings);
    const outcome = await pipeline.accept(message(VH, vehicleTopic, bytes));
    expect(outcome.status).toBe('committed');
    const ids = outcome.status === 'committed' ? outcome.ids : undefined;
    expect(ids).toEqual(['VH-0001:b00t1:10', expect.stringMatching(/^VH-0001:c[0-9a-f]{31}:2$/), expect.stringMatching(/^VH-0001:c[0-9a-f]{31}:3$/)]);
    expect(appended).toHaveLength(1);
    expect(appended[0]?.map((r) => r.deviceTime)).toEqual([now, now + 2000, now + 3000]);
    expect(appended[0]?.[2]?.payload).toMatchObject({ ext: { cabinTempC: 20 } });
    expect(quarantined.map((q) => [q.reason, q.detail.slice(0, 12), JSON.parse(q.bytes.toString())])).toEqual([['impossible_value', 'reading [1]:', readings[1]]]);
    // A re-send of the same bytes names every reading the same again.
    const again = await pipeline.accept(message(VH, vehicleTopic, bytes));
    expect(again.status === 'committed' && again.ids).toEqual(ids);
  });

  it('quarantines an implausible reading of an array as the device sent it, not as the intake rewrote it', async () => {
    const { pipeline, quarantined } = setup();
    const now = Date.now();
    const readings = [
      { v: 1, ts: now, odometerKm: 100 },
      { v: 1, ts: now + 1, odometerKm: 1_000_100, cabinTempC: 20 },
      { v: 1, ts: now + 2000, odometerKm: 100.01 },
    ];
    expect((await pipeline.accept(message(VH, vehicleTopic, toPayloadBytes(readings)))).status).toBe('committed');
    expect(quarantined.map((q) => [q.reason, JSON.parse(q.bytes.toString())])).toEqual([['odometer_jump', readings[1]]]);
  });

  it('keeps unknown fields under ext by default and counts them; drops them under drop', async () => {
    const kept = setup();
    const payload = { ...vehicleTelemetryFixture({ ts: Date.now() }), cabinTempC: 21, battery: { tempC: 20, sohPct: 97 } };
    expect((await kept.pipeline.accept(message(VH, vehicleTopic, payload))).status).toBe('committed');
    expect(kept.appended[0]?.[0]?.payload).toMatchObject({ ext: { cabinTempC: 21, 'battery.sohPct': 97 } });
    expect(await kept.count('fleetwire_intake_unknown_fields_total', { policy: 'keep' })).toBe(2);
    const dropped = setup({ telemetry: { unknownFields: 'drop', plausibility: undefined } });
    expect((await dropped.pipeline.accept(message(VH, vehicleTopic, payload))).status).toBe('committed');
    expect(dropped.appended[0]?.[0]?.payload).not.toHaveProperty('ext');
    expect(await dropped.count('fleetwire_intake_unknown_fields_total', { policy: 'drop' })).toBe(2);
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
