import { DEFAULT_PLAUSIBILITY_LIMITS, decodeDeviceMessage, judgeReading, parseMessageId, readingClock, validateEvent, vehicleQuantities, type PendingRecord, type Tracks } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { HOUR_MS as HOUR } from '@fleetwire/protocol';
import { createFleetModel, type FleetModelOptions } from './fleet-model.js';
import type { OutgoingMessage } from './outgoing.js';
import { resolveWorldSettings } from './settings.js';

const START = Date.UTC(2025, 5, 2, 7, 0, 0);

function options(overrides: Partial<FleetModelOptions> = {}): FleetModelOptions {
  return {
    seed: 7,
    startTime: START,
    vehicles: 8,
    chargers: 3,
    settings: resolveWorldSettings({ bookingsPerHour: 3 }),
    faults: {},
    ...overrides,
  };
}

function run(o: FleetModelOptions, hours: number): { messages: OutgoingMessage[]; backend: number } {
  const model = createFleetModel(o);
  const messages: OutgoingMessage[] = [];
  let backend = 0;
  for (let t = 0; t < hours * HOUR; t += 60_000) {
    const step = model.advance(60_000);
    messages.push(...step.messages);
    backend += step.backendEvents.length;
  }
  messages.push(...model.flush());
  return { messages, backend };
}

describe('fleet model', () => {
  it('is deterministic: the same seed publishes the same ids and bytes, another seed does not', () => {
    const a = run(options({ faults: { dupes: 0.05, malformed: 0.02, skew: 0.3 } }), 0.5);
    const b = run(options({ faults: { dupes: 0.05, malformed: 0.02, skew: 0.3 } }), 0.5);
    const c = run(options({ seed: 8, faults: { dupes: 0.05, malformed: 0.02, skew: 0.3 } }), 0.5);
    expect(a.messages.length).toBeGreaterThan(300);
    expect(b.messages.map((m) => [m.id, m.topic, m.bytes.toString('base64')])).toEqual(a.messages.map((m) => [m.id, m.topic, m.bytes.toString('base64')]));
    expect(c.messages.map((m) => m.bytes.toString('base64'))).not.toEqual(a.messages.map((m) => m.bytes.toString('base64')));
  });

  it('boots every device with a new epoch when the same seed starts at another time, so no id repeats', () => {
    const first = run(options(), 0.25).messages.map((m) => m.id);
    const rerun = new Set(run(options({ startTime: START + HOUR }), 0.25).messages.map((m) => m.id));
    expect(first.length).toBeGreaterThan(50);
    expect(first.filter((id) => rerun.has(id))).toEqual([]);
  });

  it('emits trips, charging sessions and telemetry that all pass protocol validation', () => {
    // Eager charging to a close target, so sessions start and stop within the run.
    const settings = resolveWorldSettings({ bookingsPerHour: 3, chargeBelowSocPct: 70, chargeTargetSocPct: [71, 73] });
    const { messages, backend } = run(options({ settings }), 1.5);
    const types = new Map<string, number>();
    for (const m of messages) {
      const verdict = decodeDeviceMessage({
        topic: m.topic,
        bytes: m.bytes,
        identity: { role: 'device', kind: m.device.kind, deviceId: m.device.id },
        receivedAt: m.simTime,
        maxBytes: 65_536,
        maxClockSkewMs: 300_000,
      });
      if (!verdict.ok) throw new Error(`${m.id} refused: ${verdict.reason} ${verdict.detail}`);
      const [reading] = verdict.value.readings;
      expect(reading?.ok && reading.record.id).toBe(m.id);
      expect(reading?.ok && reading.record.clock).toBeUndefined();
      const key = m.eventType ?? m.recordKind;
      types.set(key, (types.get(key) ?? 0) + 1);
    }
    // (Sessions stopping are covered where a vehicle is charged to its target: world.test.ts.)
    for (const kind of ['vehicle_telemetry', 'charger_telemetry', 'VehicleUnlocked', 'TripStarted', 'TripEnded', 'ChargingSessionStarted']) {
      expect(types.get(kind) ?? 0, `${kind} in ${JSON.stringify([...types])}`).toBeGreaterThan(0);
    }
    // VehicleBooked comes from the booking backend, not from a vehicle's MQTT session.
    expect(types.has('VehicleBooked')).toBe(false);
    expect(backend).toBeGreaterThanOrEqual(types.get('VehicleUnlocked') ?? 0);
  });

  it('numbers every device message 0, 1, 2… per epoch, even with every fault on', () => {
    const { messages } = run(options({ faults: { dupes: 0.05, reorder: 0.05, malformed: 0.02, impossible: 0.02, impersonate: 0.02, skew: 0.2 } }), 1);
    const seqs = new Map<string, number[]>();
    for (const m of messages) {
      const parts = parseMessageId(m.id);
      expect(parts?.deviceId).toBe(m.device.id);
      const key = `${parts?.deviceId}:${parts?.epoch}`;
      seqs.set(key, [...(seqs.get(key) ?? []), parts?.seq as number]);
    }
    expect(seqs.size).toBe(11);
    for (const [key, list] of seqs) {
      expect([...list].sort((a, b) => a - b), key).toEqual(list.map((_, i) => i));
    }
  });

  it('marks deliberately bad messages with the reason the edge must give them', () => {
    const faults = { dupes: 0.05, reorder: 0.05, malformed: 0.05, impossible: 0.08, impersonate: 0.08, skew: 0.4 };
    const { messages } = run(options({ faults }), 1);
    const tracks = new Map<string, Tracks>();
    const outcomes = new Map<string, number>();
    for (const m of messages) {
      const verdict = decodeDeviceMessage({
        topic: m.topic,
        bytes: m.bytes,
        identity: { role: 'device', kind: m.device.kind, deviceId: m.device.id },
        receivedAt: m.simTime,
        maxBytes: 65_536,
        maxClockSkewMs: 300_000,
      });
      const reading = verdict.ok ? verdict.value.readings[0] : undefined;
      let reason = verdict.ok ? (reading?.ok === false ? reading.reason : undefined) : verdict.reason;
      const record: PendingRecord | undefined = reading?.ok ? reading.record : undefined;
      if (record?.kind === 'vehicle_telemetry') {
        // The edge's stateful check: accepted readings move the device's physics references.
        const judged = judgeReading(tracks.get(m.device.id) ?? {}, vehicleQuantities(record.payload, readingClock(record)), DEFAULT_PLAUSIBILITY_LIMITS);
        tracks.set(m.device.id, judged.tracks);
        if (!judged.ok) reason = judged.reason;
      }
      expect(reason, `${m.id} ${m.faults.join(',')}`).toBe(m.expect.reason);
      expect(reason === undefined ? 'accepted' : 'quarantined').toBe(m.expect.outcome);
      if (record !== undefined && reason === undefined) {
        expect(record.clock?.flag === 'skewed', m.id).toBe(m.expect.clockSkewed === true);
        expect(record.deviceIdOverridden === true, m.id).toBe(m.expect.deviceIdOverridden === true);
      }
      const label = `${m.faults.filter((f) => f !== 'skew').join('+') || 'clean'}:${m.expect.reason ?? 'accepted'}`;
      outcomes.set(label, (outcomes.get(label) ?? 0) + m.copies);
    }
    // Every fault actually happened, with each of its expected outcomes.
    for (const label of ['dupes:accepted', 'reorder:accepted', 'malformed:malformed_json', 'impossible:impossible_value', 'impossible:odometer_backwards', 'impersonate:topic_forbidden', 'impersonate:accepted']) {
      expect(outcomes.get(label), label).toBeGreaterThan(0);
    }
    expect(messages.some((m) => m.expect.clockSkewed)).toBe(true);
    expect(messages.filter((m) => m.faults.includes('dupes')).every((m) => m.copies === 2)).toBe(true);
  });

  it('schedules network drops at the configured rate', () => {
    const model = createFleetModel(options({ vehicles: 20, chargers: 0, faults: { drops: 10 } }));
    const drops = [];
    for (let t = 0; t < HOUR; t += 60_000) drops.push(...model.advance(60_000).drops);
    // 20 devices × 1 h × 10/h = 200 expected; Poisson spread is about ±14.
    expect(drops.length).toBeGreaterThan(150);
    expect(drops.length).toBeLessThan(250);
    expect(drops.every((d) => d.durationMs >= 20_000 && d.durationMs <= 120_000)).toBe(true);
  });

  it('backend events are valid envelopes of their own id space', () => {
    const model = createFleetModel(options());
    const events = [];
    for (let t = 0; t < HOUR; t += 60_000) events.push(...model.advance(60_000).backendEvents);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(validateEvent(event).ok).toBe(true);
      expect(event.type).toBe('VehicleBooked');
      expect(event.source).toBe('service:booking');
      expect(parseMessageId(event.eventId)?.deviceId).toBe('booking');
    }
  });
});
