import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargerRecordFixture, eventRecordFixture, vehicleRecordFixture } from '../test/support/fixtures.js';
import { fuzzPlan, mutatedSample, runParameters } from '../test/support/fuzz.js';
import { headOf } from './bus-mapping.js';
import { readRecordHead } from './record-bytes.js';
import { validateRecord } from './records.js';

const line = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** The full path of a batch line (batch.ts): UTF-8, JSON.parse, then the full validator. */
function fullPath(bytes: Buffer): ReturnType<typeof validateRecord> | undefined {
  if (!isUtf8(bytes)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  return validateRecord(value);
}

const SAMPLES = [
  vehicleRecordFixture(),
  chargerRecordFixture(),
  { ...vehicleRecordFixture(), clock: { skewMs: -1200, flag: 'skewed' }, deviceIdOverridden: true },
  { ...vehicleRecordFixture(), payload: { v: 1, ts: 0, dtcs: ['P0A80', 'U0100'] } },
  { ...chargerRecordFixture(), payload: { ...chargerRecordFixture().payload, sessionId: null } },
];

describe('readRecordHead', () => {
  it('reads the head of well-formed telemetry as the full path does', () => {
    for (const record of SAMPLES) {
      const full = fullPath(line(record));
      expect(full?.ok).toBe(true);
      expect(readRecordHead(line(record))).toEqual(full?.ok && headOf(full.value));
    }
  });

  it('leaves events and unusual lines to the full path, which still accepts them', () => {
    const vehicle = vehicleRecordFixture();
    const unusual = [
      line(eventRecordFixture()),
      Buffer.from(JSON.stringify(vehicle, null, 1)),
      Buffer.from(`${JSON.stringify(vehicle)}\r`),
      Buffer.from(JSON.stringify(vehicle).replace('"VH-0001"', '"VH-\\u0030001"')),
      line({ ...vehicle, payload: { ...vehicle.payload, newSensor: 3 } }),
      line(Object.fromEntries(Object.entries(vehicle).reverse())),
      Buffer.from(JSON.stringify(vehicle).replace('"speedKph":38.5', '"speedKph":38.5,"speedKph":38.5')),
    ];
    for (const bytes of unusual) {
      expect(readRecordHead(bytes)).toBeUndefined();
      expect(fullPath(bytes)?.ok).toBe(true);
    }
  });

  it('accepts nothing the full validator refuses', () => {
    const vehicle = vehicleRecordFixture();
    const refused = [
      line({ ...vehicle, payload: { ...vehicle.payload, speedKph: 300.0000001 } }),
      line({ ...vehicle, payload: { ...vehicle.payload, socPct: -0.1 } }),
      line({ ...vehicle, payload: { ...vehicle.payload, v: 2 } }),
      line({ ...vehicle, source: { kind: 'charger', id: 'CH-0001' } }),
      line({ ...vehicle, id: 'VH-0001:b00t1:01' }),
      line({ ...vehicle, deviceTime: 1.5 }),
      Buffer.from(JSON.stringify(vehicle).replace('"seq":42', '"seq":1e400')),
      Buffer.from(JSON.stringify(vehicle).replace('"seq":42', '"seq":042')),
      line({ ...vehicle, payload: { ...vehicle.payload, dtcs: Array.from({ length: 65 }, () => 'P0A80') } }),
    ];
    for (const bytes of refused) {
      expect(fullPath(bytes)?.ok ?? false).toBe(false);
      expect(readRecordHead(bytes)).toBeUndefined();
    }
  });
});

/** Values at and around the edges of the schemas, and of JSON's number and string grammar. */
const edgeValue = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 100, 100.0000001, 300, 300.5, 360, 600, 1000, -1000, -40, -40.5, 90, 120, 16, 17, 1e21, 2 ** 53, 2 ** 53 + 2),
  fc.double({ noNaN: true, min: -2000, max: 2000 }),
  fc.integer({ min: -5, max: 2 ** 31 }),
  fc.constantFrom('', 'x', 'VH-0001', 'CH-0001', 'node-1', 'b00t1', 'P0A80', 'p0a80', 'Charging', 'NoError', 'vehicle', 'charger', 'edge', 'telemetry', 'critical', 'skewed', 'x'.repeat(65), 'x'.repeat(257), 'é', 'a"b', 'a\\b', 'VH-0001:b00t1:42', 'VH-0001:b00t1:007'),
  fc.constantFrom(null, true, false, [], {}, ['P0A80'], { lat: 1, lon: 2 }),
);

/** A sample with one field (at any depth) set, added or removed. */
const editedRecord = fc
  .tuple(fc.constantFrom(...SAMPLES), fc.nat(), fc.constantFrom('set', 'delete', 'add'), edgeValue, fc.constantFrom('v', 'kind', 'id', 'extra', 'lat', 'flag'))
  .map(([sample, pick, action, value, newKey]) => {
    const copy = structuredClone(sample) as unknown as Record<string, unknown>;
    const objects: Array<Record<string, unknown>> = [];
    const walk = (object: Record<string, unknown>): void => {
      objects.push(object);
      for (const field of Object.values(object)) if (typeof field === 'object' && field !== null && !Array.isArray(field)) walk(field as Record<string, unknown>);
    };
    walk(copy);
    const target = objects[pick % objects.length] as Record<string, unknown>;
    const keys = Object.keys(target);
    const key = keys[pick % Math.max(1, keys.length)] ?? newKey;
    if (action === 'delete') delete target[key];
    else target[action === 'add' ? newKey : key] = value;
    return line(copy);
  });

/** JSON spellings the edge never writes but JSON.parse reads: number forms, escapes, whitespace, repeats. */
const respelled = fc.tuple(fc.constantFrom(...SAMPLES.map(line)), fc.nat(), fc.constantFrom('1.0', '1e0', '10E-1', '-0', '0.10', ' ', '\\u0041', '\\/', ',"v":1', ',"kind":"event"')).map(([bytes, at, text]) => {
  const json = bytes.toString();
  const cut = 1 + (at % (json.length - 2));
  return Buffer.from(json.slice(0, cut) + text + json.slice(cut));
});

/** Bytes JSON strings may not hold raw (controls), escapes good and bad, and non-ASCII (valid UTF-8 or not), inside a string value. */
const inString = fc
  .tuple(
    fc.constantFrom(...SAMPLES.map(line)),
    fc.nat(),
    fc.oneof(
      fc.constantFrom('\\x', '\\', '\\u00', '\\u0041', '\\n', '\t', '\u0000', 'é', '\u{1F600}').map((text) => Buffer.from(text)),
      fc.uint8Array({ minLength: 1, maxLength: 3 }),
    ),
  )
  .map(([bytes, pick, insert]) => {
    const starts = [...bytes.toString('latin1').matchAll(/:"/g)].map((match) => (match.index ?? 0) + 2);
    const at = starts[pick % starts.length] ?? 0;
    return Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]);
  });

const numberForms = fc.tuple(fc.constantFrom(...SAMPLES.map(line)), fc.double({ noNaN: true, noDefaultInfinity: true })).map(([bytes, value]) =>
  Buffer.from(bytes.toString().replace(/("speedKph"|"powerKw"|"ts"|"lat"):[-0-9.eE+]+/, `$1:${String(value)}`)),
);

describe('readRecordHead against the full validator (seeded fuzz)', () => {
  const plan = fuzzPlan('record-bytes', { seed: 2026, runs: 4000 });

  it('accepts a line only when the full path accepts it, with the same head', () => {
    let quick = 0;
    const cases = fc.oneof(editedRecord, respelled, inString, numberForms, mutatedSample(SAMPLES.map(line)));
    fc.assert(
      fc.property(cases, (bytes) => {
        const head = readRecordHead(bytes);
        if (head === undefined) return;
        quick += 1;
        const full = fullPath(bytes);
        expect(full?.ok).toBe(true);
        expect(head).toEqual(full?.ok && headOf(full.value));
      }),
      runParameters(plan),
    );
    // The fast path must have been taken often enough for the comparison to mean something.
    expect(quick).toBeGreaterThan(plan.runs / 20);
  });
});
