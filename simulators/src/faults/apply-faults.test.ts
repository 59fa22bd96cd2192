import { decodeDeviceMessage, type ReasonCode } from '@fleetwire/protocol';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../random/random.js';
import { createFramingState, frameEmissions, type DeviceEmission } from '../world/framing.js';
import type { OutgoingMessage } from '../world/outgoing.js';
import { applyFaults, createFaultState, releaseHeld, type FaultPeers } from './apply-faults.js';
import { parseFaults, validateFaults } from './fault-settings.js';

const T0 = Date.UTC(2025, 4, 4, 4);
const peers: FaultPeers = { vehicles: ['VH-0001', 'VH-0002'], chargers: ['CH-0001'] };
const telemetryBody = {
  position: { lat: 52.5, lon: 13.4 },
  speedKph: 0,
  headingDeg: 10,
  odometerKm: 1234.5,
  socPct: 55,
  battery: { tempC: 15, voltageV: 360, currentA: 0 },
  aux12vV: 12.6,
  tyresKpa: { fl: 250, fr: 250, rl: 250, rr: 250 },
  locked: true,
  ignition: false,
  dtcs: [],
};

function messages(count: number): OutgoingMessage[] {
  const framing = createFramingState([{ kind: 'vehicle', id: 'VH-0001', clockSkewMs: 0 }, { kind: 'vehicle', id: 'VH-0002', clockSkewMs: 0 }], createRandom(1));
  const batch: DeviceEmission[] = Array.from({ length: count }, (_, i) => ({ device: { kind: 'vehicle', id: 'VH-0001' }, emission: { channel: 'telemetry', at: T0 + i * 1000, body: telemetryBody } }));
  return frameEmissions(framing, batch, (t) => t).messages;
}

function reason(m: OutgoingMessage): ReasonCode | undefined {
  const verdict = decodeDeviceMessage({ topic: m.topic, bytes: m.bytes, identity: { role: 'device', kind: 'vehicle', deviceId: m.device.id }, receivedAt: m.simTime, maxBytes: 65_536, maxClockSkewMs: 300_000 });
  return verdict.ok ? undefined : verdict.reason;
}

describe('message faults', () => {
  it('parses fault lists with default and explicit rates, and refuses unknown ones', () => {
    expect(parseFaults('drops,dupes=0.2')).toEqual({ drops: 1, dupes: 0.2 });
    expect(Object.keys(parseFaults('all')).sort()).toEqual(['drops', 'dupes', 'impersonate', 'impossible', 'malformed', 'reorder', 'skew']);
    expect(() => parseFaults('meteor')).toThrow(/unknown fault 'meteor'/);
    expect(() => parseFaults('dupes=lots')).toThrow(/rate must be a number/);
    expect(() => validateFaults({ dupes: 1.5 })).toThrow(/in 0–1/);
  });

  it('duplicates: same id and bytes, published twice', () => {
    const input = messages(3);
    const out = applyFaults(createFaultState(), input, createRandom(2), { dupes: 1 }, peers).messages;
    expect(out.map((m) => m.id)).toEqual(input.map((m) => m.id));
    expect(out.every((m) => m.copies === 2 && m.faults.includes('dupes') && m.expect.outcome === 'accepted')).toBe(true);
    expect(out.map((m) => m.bytes)).toEqual(input.map((m) => m.bytes));
  });

  it('malformed bytes fail as malformed_json, as marked', () => {
    const out = applyFaults(createFaultState(), messages(30), createRandom(3), { malformed: 1 }, peers).messages;
    expect(out).toHaveLength(30);
    for (const m of out) {
      expect(m.expect).toEqual({ outcome: 'quarantined', reason: 'malformed_json' });
      expect(reason(m)).toBe('malformed_json');
    }
  });

  it('impossible values: SoC 140 first, then odometer below anything sent before', () => {
    const state = applyFaults(createFaultState(), messages(1), createRandom(4), {}, peers).state;
    const out = applyFaults(state, messages(40).slice(1), createRandom(4), { impossible: 1 }, peers).messages;
    const reasons = new Set(out.map((m) => m.expect.reason));
    expect(reasons).toEqual(new Set(['impossible_value', 'odometer_backwards']));
    for (const m of out.filter((x) => x.expect.reason === 'impossible_value')) expect(reason(m)).toBe('impossible_value');
    for (const m of out.filter((x) => x.expect.reason === 'odometer_backwards')) expect(m.payload['odometerKm']).toBe(1134);
  });

  it('impersonation: another device’s topic is forbidden; another id in the payload is overridden', () => {
    const out = applyFaults(createFaultState(), messages(40), createRandom(5), { impersonate: 1 }, peers).messages;
    const onTopic = out.filter((m) => m.expect.reason === 'topic_forbidden');
    const inPayload = out.filter((m) => m.expect.deviceIdOverridden);
    expect(onTopic.length + inPayload.length).toBe(40);
    expect(onTopic.length).toBeGreaterThan(5);
    expect(inPayload.length).toBeGreaterThan(5);
    for (const m of onTopic) {
      expect(m.topic).toBe('fleetwire/v1/vehicle/VH-0002/telemetry');
      expect(m.resend).toBe(false);
      expect(reason(m)).toBe('topic_forbidden');
    }
    for (const m of inPayload) {
      expect(m.payload['deviceId']).toBe('VH-0002');
      expect(reason(m)).toBeUndefined();
    }
  });

  it('reorders by holding a message back until the device’s next one, and releases leftovers', () => {
    const input = messages(5);
    const first = applyFaults(createFaultState(), input, createRandom(6), { reorder: 1 }, peers);
    // Each held message goes out right behind its successor; the fifth is still held.
    expect(first.messages.map((m) => m.id)).toEqual([1, 0, 3, 2].map((i) => input[i]?.id));
    expect(first.messages.map((m) => m.faults)).toEqual([[], ['reorder'], [], ['reorder']]);
    const rest = releaseHeld(first.state);
    expect(rest.messages.map((m) => m.id)).toEqual([input[4]?.id]);
    expect(releaseHeld(rest.state).messages).toEqual([]);
  });
});
